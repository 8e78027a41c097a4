"""The "Sample outputs" partial renders what the page promises, with and without captions."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from markupsafe import escape
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from unfragile_ssg.captions import heatmap as hm
from unfragile_ssg.captions.step import caption_entries

THEME = Path(__file__).resolve().parents[2] / "src" / "unfragile_ssg" / "theme"


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def render(samples, entry) -> str:
    env = Environment(loader=FileSystemLoader(str(THEME / "layouts")), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(url=lambda p: "/sub/" + p, asset=lambda name: f"/sub/assets/{name}")
    return env.get_template("partials/samples.html").render(samples=samples, entry=entry)


def parse(html: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_captioned_samples(make_site):
    project, entries = make_site(prompt="a picture of", min_new_tokens=2)
    samples = caption_entries(project, entries).samples["tiny-captioner"]
    html = render(samples, entries[0])
    tags = parse(html)
    photos = [a for t, a in tags if t == "img" and a.get("class") == "sample-photo"]
    assert [p["alt"] for p in photos] == [s.caption for s in samples]  # the caption is the alt text
    assert all(p["src"].startswith("/sub/captions/images/") for p in photos)
    words = [a for t, a in tags if t == "span" and a.get("class") == "sample-word"]
    assert [w["data-map"] for w in words] == [str(w.map) for s in samples for w in s.words if w.map]
    prompts = [a for t, a in tags if t == "span" and a.get("class") == "sample-prompt"]
    assert len(prompts) == 3 * len(samples)
    figures = [a for t, a in tags if t == "div" and a.get("class") == "sample"]
    assert [f["data-maps"] for f in figures] == ["/sub/" + s.heatmaps.maps for s in samples]
    assert [f["data-count"] for f in figures] == [str(s.heatmaps.count) for s in samples]
    assert all(f["data-grid"] == "4x4" and f["data-colormap"] == "viridis" for f in figures)
    [section] = [a for t, a in tags if t == "section"]
    assert section["data-colormap-viridis"] == hm.COLORMAPS["viridis"].tobytes().hex()  # the table, from Python
    # Without the script: one composite image per caption, labelled in its order.
    sheets = [a for t, a in tags if t == "img" and a.get("loading") == "lazy" and "sample-photo" != a.get("class")]
    assert [a["src"] for a in sheets] == ["/sub/" + s.heatmaps.sheet for s in samples]
    labels = re.findall(r'<ol class="sample-sheet-labels sample-sheet-c(\d)"[^>]*>(.*?)</ol>', html, re.S)
    for s, (columns, items) in zip(samples, labels):
        assert int(columns) == s.heatmaps.columns
        assert [unescape(t) for t in re.findall(r"<li[^>]*>(.*?)</li>", items)] == ["whole caption"] + [w.text for w in s.words if w.map]
    assert len(labels) == len(samples)
    for s in samples:
        assert str(escape(s.decoding)) in html and str(escape(s.method)) in html
    assert '<script src="/sub/assets/heatmap.js" defer></script>' in html
    caption = re.search(r'<p class="sample-caption"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert unescape(re.sub(r"<[^>]+>", "", caption)) == "Caption: " + samples[0].caption  # one sentence


def test_uncaptioned_samples(make_site):
    project, entries = make_site(model="./absent-model/")
    samples = caption_entries(project, entries).samples["tiny-captioner"]
    html = render(samples, entries[0])
    tags = parse(html)
    photos = [a for t, a in tags if t == "img" and a.get("class") == "sample-photo"]
    assert [p["alt"] for p in photos] == ["Sample image 1 (Photo wide.jpg)", "Sample image 2 (Photo tall.png)", "Sample image 3 (Photo cat.jpg)"]
    assert "No caption" in html and "sample-grid" not in html and "Decoding" not in html
    assert "Photo cat.jpg" in html and "CC0-1.0" in html
