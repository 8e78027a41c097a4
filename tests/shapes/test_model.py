"""The committed shapes model folder: small, complete, what the training script makes."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from shapes import scenes as sc

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "shapes" / "model"


def test_model_folder_is_complete_and_small():
    names = {p.name for p in MODEL.iterdir()}
    for name in ("config.json", "model.safetensors", "processor_config.json", "tokenizer.json",
                 "tokenizer_config.json", "TRAINING.md"):
        assert name in names
    total = sum(p.stat().st_size for p in MODEL.rglob("*") if p.is_file())
    assert total < 4_000_000, f"model folder is {total} bytes"


def test_config_is_the_documented_architecture():
    config = json.loads((MODEL / "config.json").read_text())
    vision, text = config["vision_config"], config["text_config"]
    assert (vision["hidden_size"], vision["num_hidden_layers"], vision["patch_size"], vision["image_size"]) == (96, 3, 16, 128)
    assert vision["initializer_range"] == 0.02
    assert (text["hidden_size"], text["num_hidden_layers"], text["vocab_size"]) == (96, 2, len(sc.VOCAB))
    assert text["bos_token_id"] == sc.VOCAB.index("[DEC]")
    assert text["sep_token_id"] == sc.VOCAB.index("[SEP]")
    assert text["pad_token_id"] == sc.VOCAB.index("[PAD]")
    processor = json.loads((MODEL / "processor_config.json").read_text())
    assert processor["image_processor"]["size"] == {"height": 128, "width": 128}


def test_training_record_names_the_committed_weights():
    from shapes import train

    text = (MODEL / "TRAINING.md").read_text()
    first, second = train.stage_records(MODEL)
    digest = hashlib.sha256((MODEL / "model.safetensors").read_bytes()).hexdigest()
    assert second["weights_sha256"] == digest and second["stage"] == 2
    assert second["started_from_weights_sha256"] == first["weights_sha256"]  # stage 2 went on from stage 1
    assert (first["steps"], first["batch"], first["seed"]) == (train.STEPS, train.BATCH, train.SEED)
    assert (second["steps"], second["seed"], second["lr"]) == (train.MORE_STEPS, train.MORE_SEED, train.MORE_LR)
    assert "python -m shapes.train --from build/shapes-first --out shapes/model" in text


def test_pixels_match_the_saved_processor():
    pytest.importorskip("transformers")
    import numpy as np
    from transformers import BlipImageProcessorPil

    from shapes.train import pixels

    images = [s.image for s in sc.scenes(2, 4)]
    processor = BlipImageProcessorPil.from_pretrained(MODEL)
    expected = processor(images=images, return_tensors="np")["pixel_values"]
    assert np.array_equal(expected, pixels(images))


def test_tokenizer_round_trips_a_caption():
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    from shapes.train import token_batch

    tokenizer = AutoTokenizer.from_pretrained(MODEL)
    caption = "a red circle and a blue square"
    ids = token_batch([caption])[0].tolist()
    assert ids[0] == sc.VOCAB.index("[DEC]")
    assert tokenizer.decode(ids, skip_special_tokens=True) == caption
    assert tokenizer.convert_ids_to_tokens(ids[1:8]) == caption.split()


@pytest.mark.slow
def test_training_is_reproducible(tmp_path):
    """Two short runs with the same seed give bit-identical weights (the full run does too)."""
    pytest.importorskip("torch")
    from shapes.train import train

    a = train(tmp_path / "a", steps=20, log_every=0)
    b = train(tmp_path / "b", steps=20, log_every=0)
    assert a["weights_sha256"] == b["weights_sha256"]
    c = train(tmp_path / "c", steps=20, seed=1, log_every=0)
    assert c["weights_sha256"] != a["weights_sha256"]
