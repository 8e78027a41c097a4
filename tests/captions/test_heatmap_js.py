"""heatmap.js in a real Chromium: hover, keyboard focus and tap paint a word's grid over the
photo, pixel for pixel what captions/heatmap.py's overlay computes; without JavaScript the
labelled composite image shows; should the data not load, it stays. Also an axe-core check."""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from unfragile_ssg.captions import heatmap as hm
from unfragile_ssg.captions.step import caption_entries

from .test_samples_page import THEME, render

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(make_site, tmp_path):
    project, entries = make_site(prompt="a picture of", min_new_tokens=2)
    report = caption_entries(project, entries)
    site = tmp_path / "public"
    for rel, path in report.files.items():
        (site / "sub" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, site / "sub" / rel)
    (site / "sub" / "assets").mkdir(parents=True)
    for name in ("heatmap.js", "samples.css"):
        shutil.copyfile(THEME / "assets" / name, site / "sub" / "assets" / name)
    body = render(report.samples["tiny-captioner"], entries[0])
    (site / "sub" / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Samples</title>'
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/sub/assets/samples.css">'
        '<style>.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}</style>'
        f"</head><body><main>{body}</main></body></html>", "utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sub/", report, site / "sub"
    server.shutdown()


def expected_pixels(grid: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """What overlay() paints for a stored grid, before blending: (height, width, 3)."""
    return hm.colorize(hm.normalise(hm.upsample(hm.dequantize(grid), size)), "viridis")


def index_distance(painted: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """How many colormap steps apart two colours are (viridis is monotonic in its table)."""
    table = hm.COLORMAPS["viridis"].astype(np.int32)

    def index(colours):
        return np.argmin(np.abs(colours.astype(np.int32)[..., None, :] - table).sum(-1), axis=-1)

    return np.abs(index(painted) - index(wanted))


def test_words_paint_their_grid(served, chromium):
    url, report, folder = served
    view = report.samples["tiny-captioner"][0]
    grids = hm.decode_maps(report.files[view.heatmaps.maps].read_bytes(), view.heatmaps.grid)
    page = chromium.new_page()
    try:
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(url)
        figure = page.locator("[data-sample]").first
        page.wait_for_function("document.querySelector('[data-sample]').classList.contains('is-enhanced')")
        words = figure.locator("button.sample-word")
        assert words.count() == len([w for w in view.words if w.map])
        boxes = words.evaluate_all("els => els.map(e => { const b = e.getBoundingClientRect(); return [e.textContent, b.width, b.height]; })")
        small = [box for box in boxes if box[1] < 24 or box[2] < 24]
        assert small == [], f"tap targets under 24 px: {small}"  # "a" was 12.5 px wide
        heat = figure.locator("canvas.sample-heat")
        assert heat.is_hidden()
        assert figure.locator(".sample-grid-wrap").count() == 0  # in noscript: the canvas replaces it
        assert [int(v) for v in heat.evaluate("c => [c.width, c.height]")] == [view.width, view.height]

        for k, word in enumerate(words.all(), start=1):
            word.hover()
            assert heat.is_visible() and heat.get_attribute("data-shown") == str(k)
            rgba = np.array(heat.evaluate("c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)"),
                            dtype=np.uint8).reshape(view.height, view.width, 4)
            assert (rgba[..., 3] == round(hm.ALPHA * 255)).all()
            wanted = expected_pixels(grids[k], (view.width, view.height))
            # A canvas keeps its pixels premultiplied by alpha, so reading them back at 0.6 alpha
            # moves a channel by up to 255/153 (one or two steps of the table): within that,
            # every pixel must be the colour overlay() gives it.
            steps = index_distance(rgba[..., :3], wanted)
            assert steps.max() <= 2 and (steps <= 1).mean() > 0.95, f"word {k}: {int((steps > 1).sum())} pixels off"
            # the brightest painted pixels lie over the grid's strongest patch
            table = hm.COLORMAPS["viridis"].astype(np.int32)
            shown = np.argmin(np.abs(rgba[..., :3].astype(np.int32)[..., None, :] - table).sum(-1), axis=-1)
            y, x = np.unravel_index(shown.argmax(), shown.shape)
            rows, cols = grids[k].shape
            cell = (int(y * rows / view.height), int(x * cols / view.width))
            assert grids[k][cell] >= grids[k].max() - 8, (cell, grids[k])

        first = words.first
        page.mouse.move(0, 0)
        assert heat.is_hidden()
        first.focus()  # keyboard
        assert heat.get_attribute("data-shown") == "1" and heat.is_visible()
        assert "Heatmap shown for" in figure.locator(".sample-status").inner_text()
        page.keyboard.press("Escape")
        first.click()  # a tap pins it
        page.mouse.move(0, 0)
        assert first.get_attribute("aria-pressed") == "true" and heat.is_visible()
        first.click()
        assert first.get_attribute("aria-pressed") == "false"
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => (await axe.run('.samples', {rules: {'target-size': {enabled: true}}})).violations.map(v => v.id + ': ' + v.help)")
        assert result == []
        assert errors == []
        sheets = page.evaluate("performance.getEntriesByType('resource').map(e => e.name).filter(n => n.endsWith('sheet.webp'))")
        assert sheets == [], "with the script, the composite images are not fetched"
    finally:
        page.close()


def test_without_javascript_the_composite_shows(served, chromium):
    url, report, _ = served
    views = report.samples["tiny-captioner"]
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(url)
        wrap = page.locator(".sample-grid-wrap").first
        assert wrap.is_visible()
        sheet = wrap.locator(".sample-sheet img")
        sheet.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=sheet.element_handle())
        assert [int(v) for v in sheet.evaluate("i => [i.naturalWidth, i.naturalHeight]")] == [views[0].heatmaps.sheet_width, views[0].heatmaps.sheet_height]
        labels = wrap.locator(".sample-sheet-labels li")
        assert labels.all_inner_texts() == ["whole caption"] + [w.text for w in views[0].words if w.map]
        # each label sits at the bottom of its own tile of the composite
        image = sheet.bounding_box()
        columns = views[0].heatmaps.columns
        tile_w, tile_h = image["width"] / columns, image["height"] / views[0].heatmaps.rows
        for i, label in enumerate(labels.all()):
            box = label.bounding_box()
            assert abs(box["x"] - (image["x"] + (i % columns) * tile_w)) < 1.5
            assert abs(box["y"] + box["height"] - (image["y"] + (i // columns + 1) * tile_h)) < 1.5
        assert page.locator("span.sample-word").count() == sum(1 for v in views for w in v.words if w.map)
    finally:
        context.close()


def test_the_composite_stays_when_the_data_cannot_load(served, chromium):
    url, report, folder = served
    view = report.samples["tiny-captioner"][0]
    (folder / view.heatmaps.maps).write_bytes(b"\x00" * 5)  # not a whole number of grids
    page = chromium.new_page()
    try:
        page.goto(url)
        figure = page.locator("[data-sample]").first
        page.wait_for_function("document.querySelector('[data-sample]').classList.contains('is-failed')")
        assert figure.locator(".sample-grid-wrap").is_visible()
        assert figure.locator("button.sample-word").count() == 0
        assert figure.locator("span.sample-word").count() == len([w for w in view.words if w.map])
    finally:
        page.close()
