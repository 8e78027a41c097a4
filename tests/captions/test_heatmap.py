"""Patch-grid geometry and colouring, on synthetic attention (numpy and Pillow only)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from unfragile_ssg.captions import heatmap as hm


def hot_row(grid, r, c, cls=0.0):
    rows, cols = grid
    row = np.full(1 + rows * cols, 0.01, dtype=np.float32)
    row[0] = cls
    row[1 + r * cols + c] = 1.0
    return row


def region_contrast(heat: np.ndarray, grid, r, c) -> tuple[float, float, tuple[int, int]]:
    """Mean inside the patch's region of the image, mean outside, and the argmax (y, x)."""
    h, w = heat.shape
    rows, cols = grid
    y0, y1 = round(r * h / rows), round((r + 1) * h / rows)
    x0, x1 = round(c * w / cols), round((c + 1) * w / cols)
    inside = np.zeros_like(heat, dtype=bool)
    inside[y0:y1, x0:x1] = True
    y, x = np.unravel_index(np.argmax(heat), heat.shape)
    return float(heat[inside].mean()), float(heat[~inside].mean()), (int(y), int(x)), (y0, y1, x0, x1)


@pytest.mark.parametrize("size", [(200, 200), (300, 150), (150, 300), (512, 341)])
@pytest.mark.parametrize("grid,patch", [((4, 4), (0, 0)), ((4, 4), (1, 2)), ((4, 4), (3, 3)), ((24, 24), (5, 17)), ((3, 5), (2, 4))])
def test_one_hot_patch_lights_its_region(size, grid, patch):
    heat = hm.normalise(hm.upsample(hm.patch_grid(hot_row(grid, *patch), grid), size))
    assert heat.shape == (size[1], size[0])
    inside, outside, (y, x), (y0, y1, x0, x1) = region_contrast(heat, grid, *patch)
    assert y0 <= y < y1 and x0 <= x < x1
    assert inside > 0.5 and outside < 0.1
    assert inside > 5 * outside


def test_overlay_puts_the_bright_end_of_the_colormap_over_the_patch():
    image = Image.new("RGB", (240, 120), (128, 128, 128))
    grid = (4, 4)
    out = np.asarray(hm.overlay(image, hm.patch_grid(hot_row(grid, 2, 1), grid), "viridis")).astype(int)
    assert out.shape == (120, 240, 3)
    # viridis: yellow (high red+green, low blue) where the patch is, dark purple elsewhere
    centre = out[2 * 30 + 15, 1 * 60 + 30]
    corner = out[5, 235]
    assert centre[0] > corner[0] + 60 and centre[1] > corner[1] + 60
    assert corner[2] > corner[1]


def test_cls_column_is_dropped():
    grid = (4, 4)
    row = np.full(17, 0.05, dtype=np.float32)
    row[0] = 100.0  # everything on the vision CLS token
    assert np.allclose(hm.normalise(hm.patch_grid(row, grid)), 0.0)


def test_wrong_row_length_is_refused():
    with pytest.raises(ValueError, match="expected 1 \\+ 4\\*4"):
        hm.patch_grid(np.zeros(16), (4, 4))


def test_normalise_handles_flat_and_nan():
    assert np.all(hm.normalise(np.ones((3, 3))) == 0)
    out = hm.normalise(np.array([[0.0, np.nan], [2.0, 4.0]]))
    assert out.min() == 0 and out.max() == 1 and np.isfinite(out).all()


def test_colormaps_are_the_perceptually_uniform_tables():
    for name, first, last in (("viridis", (68, 1, 84), (253, 231, 37)), ("inferno", (0, 0, 4), (252, 255, 164))):
        table = hm.COLORMAPS[name]
        assert table.shape == (256, 3)
        assert tuple(table[0]) == first and tuple(table[-1]) == last
        luminance = table @ np.array([0.2126, 0.7152, 0.0722])
        assert np.all(np.diff(luminance) > -1.0)  # brighter towards the top, no jet-style bands


def test_webp_encoding_is_deterministic():
    image = hm.overlay(Image.new("RGB", (64, 48), (10, 200, 30)), np.random.default_rng(0).random((4, 4)))
    assert hm.encode_webp(image) == hm.encode_webp(image.copy())


def test_display_image_keeps_aspect_and_limits_size():
    out = hm.display_image(Image.new("RGB", (2000, 1000)))
    assert out.size == (hm.DISPLAY_MAX_SIDE, hm.DISPLAY_MAX_SIDE // 2)
    assert hm.display_image(Image.new("RGB", (100, 50))).size == (100, 50)
