"""From a patch-grid heatmap to a small web image blended over the sample photograph.

numpy and Pillow only. The steps: drop the vision CLS column and fold the rest into the
model's patch grid (``patch_grid``), upsample to the displayed image (``upsample``), scale to
0..1 (``normalise``), colour with a perceptually uniform colormap (``colorize``) and blend
over the image (``blend``). BLIP's processor stretches every image to a square, so patch
(r, c) covers the same fraction of a non-square image: upsampling the grid straight to the
image's own width and height puts each patch back over the region it saw.
"""

from __future__ import annotations

import io
from typing import Iterable

import numpy as np
from PIL import Image

from . import colormaps

# Bump when anything that changes the pictures changes: it is part of the store's key.
RENDER_VERSION = "render-1"
ALGORITHMS = {
    "gradcam": ("gradcam-lastlayer-1", "gradient-weighted cross-attention of the last decoder layer"),
    "attention": ("attention-mean-1", "raw cross-attention, mean over heads and layers"),
}
DISPLAY_MAX_SIDE = 512  # the sample photograph and its overlays, in pixels
WEBP_QUALITY = 72
ALPHA = 0.6


def _table(hex_string: str) -> np.ndarray:
    raw = bytes.fromhex(hex_string)
    return np.frombuffer(raw, dtype=np.uint8).reshape(256, 3).copy()


COLORMAPS = {"viridis": _table(colormaps.VIRIDIS), "inferno": _table(colormaps.INFERNO)}


def patch_grid(row: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """One attention row over ``1 + rows*cols`` image positions -> ``(rows, cols)``, CLS dropped."""
    rows, cols = grid
    row = np.asarray(row, dtype=np.float32)
    if row.shape[-1] != 1 + rows * cols:
        raise ValueError(f"attention row has {row.shape[-1]} positions, expected 1 + {rows}*{cols}")
    return row[..., 1:].reshape(*row.shape[:-1], rows, cols)


def normalise(values: np.ndarray) -> np.ndarray:
    """Scale to 0..1; a flat map (no information) becomes all zeros."""
    values = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if values.size == 0:
        return values.astype(np.float32)
    low, high = float(values.min()), float(values.max())
    if high - low <= 1e-12 * max(1.0, abs(high)):
        return np.zeros(values.shape, dtype=np.float32)
    return ((values - low) / (high - low)).astype(np.float32)


def upsample(grid_map: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear upsampling of a ``(rows, cols)`` map to ``size`` = (width, height)."""
    image = Image.fromarray(np.ascontiguousarray(grid_map, dtype=np.float32), mode="F")
    return np.asarray(image.resize(size, Image.Resampling.BILINEAR), dtype=np.float32)


def colorize(values01: np.ndarray, colormap: str = "viridis") -> np.ndarray:
    table = COLORMAPS[colormap]
    index = np.clip(np.rint(np.asarray(values01) * 255), 0, 255).astype(np.uint8)
    return table[index]


def blend(image: np.ndarray, colored: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    mixed = image.astype(np.float32) * (1 - alpha) + colored.astype(np.float32) * alpha
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def overlay(image: Image.Image, grid_map: np.ndarray, colormap: str = "viridis") -> Image.Image:
    """The displayed image with ``grid_map`` coloured over it (same size as ``image``)."""
    heat = normalise(upsample(normalise(grid_map), image.size))
    return Image.fromarray(blend(np.asarray(image.convert("RGB")), colorize(heat, colormap)), "RGB")


def combine(maps: Iterable[np.ndarray]) -> np.ndarray:
    """Mean of several maps, each first scaled to 0..1 (a word's pieces, a whole caption)."""
    maps = [normalise(m) for m in maps]
    if not maps:
        raise ValueError("no maps to combine")
    return np.mean(np.stack(maps), axis=0)


def display_image(image: Image.Image) -> Image.Image:
    """The photograph as shown on the page: RGB, at most DISPLAY_MAX_SIDE on its long side."""
    image = image.convert("RGB")
    w, h = image.size
    scale = min(1.0, DISPLAY_MAX_SIDE / max(w, h))
    if scale < 1.0:
        image = image.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
    return image


def encode_webp(image: Image.Image, quality: int = WEBP_QUALITY) -> bytes:
    """WebP bytes; the same pixels always give the same bytes (no metadata, fixed effort)."""
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=quality, method=4, exact=False)
    return buffer.getvalue()
