"""A model folder can arrive by pull request (an entry's ``captioner``): loading it runs no code
from it, neither pickled weights nor the Python files a folder may name in ``auto_map``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from unfragile_ssg.captions.model import ModelUnavailable, load_captioner, resolve_model


def copy_model(tiny_model: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    return folder


def test_pickled_weights_are_not_loaded(tiny_model: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    folder = copy_model(tiny_model, tmp_path)
    torch.save(load_file(folder / "model.safetensors"), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    with pytest.raises(ModelUnavailable, match="could not load the captioning model") as caught:
        load_captioner(resolve_model(str(folder), None, tmp_path), "cpu")
    assert "safetensors" in str(caught.value)


def test_code_named_by_the_folder_is_not_run(tiny_model: Path, tmp_path: Path) -> None:
    folder = copy_model(tiny_model, tmp_path)
    marker = tmp_path / "ran"
    (folder / "evil_tokenizer.py").write_text(
        f"open({str(marker)!r}, 'w').write('code from the model folder ran')\n"
        "from transformers import BertTokenizer\nclass EvilTokenizer(BertTokenizer):\n    pass\n", "utf-8")
    config = json.loads((folder / "tokenizer_config.json").read_text("utf-8"))
    config.update(tokenizer_class="EvilTokenizer", auto_map={"AutoTokenizer": ["evil_tokenizer.EvilTokenizer", None]})
    (folder / "tokenizer_config.json").write_text(json.dumps(config), "utf-8")
    # with trust_remote_code=True, transformers imports evil_tokenizer.py here; without it, the
    # folder's tokenizer.json is read as plain data
    captioner = load_captioner(resolve_model(str(folder), None, tmp_path), "cpu")
    assert not marker.exists()
    assert type(captioner.tokenizer).__name__ != "EvilTokenizer"
