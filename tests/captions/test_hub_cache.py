"""The hub path, offline: ``Salesforce/blip-image-captioning-base`` from a Hugging Face cache.

The cache is laid out as huggingface_hub stores a first download (blobs, refs/main,
snapshots/<commit>/ with the repo's published file names), holding a small random-weight
BLIP; ``unfragile captions`` runs in a fresh process with ``HF_HOME`` pointing at it and
``HF_HUB_OFFLINE=1``, and any attempt to reach a hub would hit a closed local port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from unfragile_ssg.captions.testing import BLIP_BASE_HUB_ID, blip_hub_files, write_hub_cache, write_site

SRC = Path(__file__).resolve().parents[2] / "src"
PUBLISHED = {"config.json", "model.safetensors", "preprocessor_config.json", "special_tokens_map.json",
             "tokenizer.json", "tokenizer_config.json", "vocab.txt"}


@pytest.fixture(scope="module")
def hub_cache(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    home = tmp_path_factory.mktemp("hf-home")
    commit = write_hub_cache(home, BLIP_BASE_HUB_ID, blip_hub_files())
    return home, commit


def run_captions(config: Path, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    env.update(HF_HOME=str(home), HF_HUB_OFFLINE="1", HF_ENDPOINT="http://127.0.0.1:9", PYTHONPATH=str(SRC))
    return subprocess.run([sys.executable, "-m", "unfragile_ssg", "captions", "--config", str(config)],
                          capture_output=True, text=True, timeout=300, env=env)


def test_the_cache_is_laid_out_as_the_hub_stores_it(hub_cache):
    home, commit = hub_cache
    repo = home / "hub" / "models--Salesforce--blip-image-captioning-base"
    assert (repo / "refs" / "main").read_text() == commit
    snapshot = repo / "snapshots" / commit
    assert {p.name for p in snapshot.iterdir()} == PUBLISHED
    for link in snapshot.iterdir():
        assert link.is_symlink() and os.readlink(link).startswith("../../blobs/") and link.resolve().parent == repo / "blobs"


@pytest.mark.parametrize("pinned", [False, True], ids=["refs-main", "pinned-commit"])
def test_captions_from_the_hub_cache_offline(hub_cache, photos, tmp_path, pinned):
    home, commit = hub_cache
    captions = {"max_new_tokens": 5, **({"revision": commit} if pinned else {})}
    config = write_site(tmp_path / "site", BLIP_BASE_HUB_ID, {"cat.jpg": photos["cat.jpg"], "wide.jpg": photos["wide.jpg"]},
                        captions=captions)
    result = run_captions(config, home)
    assert result.returncode == 0, result.stderr
    assert "captions: 2/2 sample images captioned (0 from the store, 2 computed) by Salesforce/blip-image-captioning-base" in result.stderr
    store = tmp_path / "site" / "captions"
    records = [json.loads(p.read_text()) for p in sorted(store.glob("??/*/result.json"))]
    assert len(records) == 2
    revision = commit if pinned else "main"
    for record in records:
        assert record["model"]["identity"] == f"hub:{BLIP_BASE_HUB_ID}@{revision}"
        assert record["caption"] and record["words"] and record["heatmap"]["grid"] == [4, 4]
    again = run_captions(config, home)  # the second run finds everything in the store
    assert again.returncode == 0 and "(2 from the store, 0 computed)" in again.stderr


def test_a_revision_the_cache_lacks_is_named_with_the_fix(hub_cache, photos, tmp_path):
    home, _ = hub_cache
    missing = "0" * 40
    config = write_site(tmp_path / "site", BLIP_BASE_HUB_ID, {"cat.jpg": photos["cat.jpg"]}, captions={"revision": missing})
    result = run_captions(config, home)
    assert result.returncode == 1
    assert (f"it is not in the local Hugging Face cache and HF_HUB_OFFLINE is set. "
            f"Fix: download it once where the hub is reachable (hf download {BLIP_BASE_HUB_ID} --revision {missing})") in result.stderr
