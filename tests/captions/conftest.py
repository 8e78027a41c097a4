"""Fixtures for the captioning tests: one tiny random-weight BLIP per session, small photos."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SAMPLES = Path(__file__).resolve().parents[2] / "content" / "media" / "samples"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A BlipForConditionalGeneration with random weights (4x4 patch grid), saved with its
    image processor and tokenizer; loaded by the same code as the real model."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from unfragile_ssg.captions.testing import save_random_blip, tiny_config

    return save_random_blip(tmp_path_factory.mktemp("tiny-blip"), tiny_config())


def _jpeg(array: np.ndarray, **kwargs) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "JPEG", quality=90, **kwargs)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def photos() -> dict[str, bytes]:
    """Three small images: a wide and a tall synthetic one, and a real sample photograph."""
    y, x = np.mgrid[0:80, 0:160]
    wide = np.stack([x * 255 // 160, y * 255 // 80, np.full_like(x, 90)], axis=-1).astype(np.uint8)
    tall = np.ascontiguousarray(np.transpose(wide, (1, 0, 2))[:, :, ::-1])
    buffer = io.BytesIO()
    Image.fromarray(tall).save(buffer, "PNG")
    cat = Image.open(SAMPLES / "chelsea.jpg").convert("RGB")
    cat.thumbnail((200, 200))
    return {"wide.jpg": _jpeg(wide), "tall.png": buffer.getvalue(), "cat.jpg": _jpeg(np.asarray(cat))}


@pytest.fixture
def make_site(tmp_path, tiny_model, photos):
    """make_site(**captions) -> (project, entries) for a site in a fresh folder."""
    from unfragile_ssg.captions.testing import load_site, write_site

    def make(images: dict[str, bytes] | None = None, entries=None, folder: str = "site", model=None, **captions):
        captions.setdefault("max_new_tokens", 6)
        config = write_site(tmp_path / folder, model if model is not None else tiny_model, images or photos,
                            captions=captions, entries=entries)
        return load_site(config)

    return make


@pytest.fixture
def store_files():
    """store_files(project) -> {path in the store: bytes}."""

    def read(project) -> dict[str, bytes]:
        root = project.caption_store
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    return read
