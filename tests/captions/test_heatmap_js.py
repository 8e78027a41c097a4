"""heatmap.js in a real Chromium: hover, keyboard focus and tap show a word's heatmap;
without JavaScript the labelled grid shows. Also an axe-core check of the section."""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from unfragile_ssg.captions.step import caption_entries

from .test_samples_page import THEME, render

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.skipif(not CHROMIUM, reason="needs Debian's chromium")]


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def page_url(make_site, tmp_path):
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
    yield f"http://127.0.0.1:{server.server_address[1]}/sub/"
    server.shutdown()


def test_words_show_their_heatmap(page_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(page_url)
            figure = page.locator("[data-sample]").first
            words = figure.locator("button.sample-word")
            assert words.count() >= 1
            boxes = words.evaluate_all("els => els.map(e => { const b = e.getBoundingClientRect(); return [e.textContent, b.width, b.height]; })")
            small = [box for box in boxes if box[1] < 24 or box[2] < 24]
            assert small == [], f"tap targets under 24 px: {small}"  # "a" was 12.5 px wide
            heat = figure.locator("img.sample-heat")
            assert heat.is_hidden()
            assert figure.locator(".sample-grid-wrap").is_hidden()  # the script replaces the grid
            first = words.first
            expected = first.get_attribute("data-heatmap")
            first.hover()
            assert heat.is_visible() and heat.get_attribute("src") == expected
            page.mouse.move(0, 0)
            assert heat.is_hidden()
            first.focus()  # keyboard
            assert heat.get_attribute("src") == expected and heat.is_visible()
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

            plain = browser.new_page(java_script_enabled=False)
            plain.goto(page_url)
            grid = plain.locator(".sample-grid").first
            assert grid.is_visible()
            assert grid.locator("figcaption").first.inner_text() == "whole caption"
            assert plain.locator("span.sample-word").count() == page.locator("button.sample-word").count()
        finally:
            browser.close()
