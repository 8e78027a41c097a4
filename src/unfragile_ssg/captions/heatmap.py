"""From a patch-grid heatmap to the data a page paints, and to one composite image.

numpy and Pillow only. A word's heatmap ships as its patch grid, scaled to 0..255 and stored
as one byte per patch (``quantize``; ``encode_maps`` packs a caption's grids into one file).
The browser (``theme/assets/heatmap.js``) paints a grid over the photograph exactly as
``overlay`` does here: bilinear upsampling to the displayed image (``upsample``, pixel centres
aligned as Pillow aligns them), scaling to 0..1 again (``normalise``), a perceptually uniform
colormap (``colorize``, whose table the page receives from ``colormap_hex``: one source) and
a blend of ``ALPHA`` over the photograph (``blend``). BLIP's processor stretches every image to
a square, so patch (r, c) covers the same fraction of a non-square image: upsampling the grid
straight to the image's own width and height puts each patch back over the region it saw.

Without JavaScript the page shows ``sheet``: one image holding every word's overlay, small,
in reading order, labelled by the page.
"""

from __future__ import annotations

import io
from typing import Iterable

import numpy as np
from PIL import Image

from . import colormaps

# Bump when anything that changes the pictures changes: it is part of the store's key.
RENDER_VERSION = "render-2"
ALGORITHMS = {
    "gradcam": ("gradcam-lastlayer-1", "gradient-weighted cross-attention of the last decoder layer"),
    "gradcam-layers": ("gradcam-layers-1", "gradient-weighted cross-attention, summed over the decoder's layers"),
    "relevance": ("relevance-chefer2021-1", "relevance propagated across the decoder's layers (Chefer et al. 2021)"),
    "attention": ("attention-mean-1", "raw cross-attention, mean over heads and layers"),
}
DISPLAY_MAX_SIDE = 512  # the sample photograph, in pixels
WEBP_QUALITY = 72
ALPHA = 0.6
SHEET_COLUMNS = 4  # tiles per row of the composite image
TILE_MAX_SIDE = 96  # a tile's long side, in pixels (the page shows tiles about 88 px wide)
TILE_MIN_SIDE = 48
SHEET_MAX_PIXELS = 100_000  # tiles shrink as words are added, so the file stays under about 20 KB
SHEET_QUALITY = 55
SHEET_BACKGROUND = (128, 128, 128)
MAX_GRID_SIDE = 64  # patches per side a stored grid may have (BLIP base: 24)


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


def quantize(grid_map: np.ndarray) -> np.ndarray:
    """A grid scaled to 0..1 and stored as bytes: 0 is the weakest patch, 255 the strongest
    (a flat map is all zeros)."""
    return np.rint(normalise(grid_map) * 255).astype(np.uint8)


def dequantize(stored: np.ndarray) -> np.ndarray:
    return np.asarray(stored, dtype=np.float32) / np.float32(255.0)


def encode_maps(grids: Iterable[np.ndarray]) -> bytes:
    """Quantized grids of one shape, one after the other, row by row: the file a page reads."""
    return b"".join(np.ascontiguousarray(g, dtype=np.uint8).tobytes() for g in grids)


def decode_maps(data: bytes, grid: tuple[int, int]) -> np.ndarray:
    """``(count, rows, cols)`` uint8 from ``encode_maps``; ValueError when the size is not a
    whole number of grids."""
    rows, cols = grid
    if not (0 < rows <= MAX_GRID_SIDE and 0 < cols <= MAX_GRID_SIDE) or len(data) % (rows * cols):
        raise ValueError(f"{len(data)} bytes are not a whole number of {rows}x{cols} grids")
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, rows, cols).copy()


def colormap_hex(colormap: str) -> str:
    """The colormap's 256 sRGB entries as 1536 hex digits, for the page's script."""
    return COLORMAPS[colormap].tobytes().hex()


def sheet_layout(count: int, size: tuple[int, int], columns: int = SHEET_COLUMNS) -> tuple[tuple[int, int], int, int]:
    """(tile width, height), columns and rows of the composite image of ``count`` overlays of
    a photograph of ``size``."""
    w, h = size
    side = min(TILE_MAX_SIDE, max(TILE_MIN_SIDE, int((SHEET_MAX_PIXELS * max(w, h) / (max(1, count) * min(w, h))) ** 0.5)))
    scale = min(1.0, side / max(w, h))
    tile = (max(1, round(w * scale)), max(1, round(h * scale)))
    columns = max(1, min(columns, count))
    return tile, columns, -(-count // columns)


def sheet(image: Image.Image, grids: list[np.ndarray], colormap: str = "viridis") -> Image.Image:
    """Every grid's overlay on a small copy of ``image``, left to right and top to bottom."""
    tile, columns, rows = sheet_layout(len(grids), image.size)
    small = image.convert("RGB").resize(tile, Image.Resampling.LANCZOS) if image.size != tile else image.convert("RGB")
    out = Image.new("RGB", (tile[0] * columns, tile[1] * rows), SHEET_BACKGROUND)
    for i, grid in enumerate(grids):
        out.paste(overlay(small, grid, colormap), ((i % columns) * tile[0], (i // columns) * tile[1]))
    return out


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
