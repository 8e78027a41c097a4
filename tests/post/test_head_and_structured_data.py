"""OpenGraph, Twitter card, canonical and JSON-LD in every page's <head>."""

from __future__ import annotations

import json
import re
from pathlib import Path

from unfragile_ssg.config import load_project
from unfragile_ssg.site.build import BuildOptions, build_site


def jsonld(html: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]


def test_meta_tags_and_json_ld(basic_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(load_project(basic_site), BuildOptions(output=out, search=False))
    model = (out / "models/alpha-captioner/index.html").read_text("utf-8")
    assert '<meta property="og:title" content="Alpha Captioner">' in model
    assert '<meta property="og:url" content="https://fixture.example/models/alpha-captioner/">' in model
    assert '<meta name="twitter:card" content="summary_large_image">' in model  # with its share card
    assert '<link rel="alternate" type="application/atom+xml"' in model
    data = {d["@type"]: d for d in jsonld(model)}
    assert set(data) == {"BreadcrumbList", "SoftwareApplication", "ItemList"}
    assert [i["name"] for i in data["BreadcrumbList"]["itemListElement"]] == ["Fixture Catalog", "Models", "Alpha Captioner"]
    assert data["SoftwareApplication"]["publisher"]["name"] == "Example Labs"
    assert [i["url"] for i in data["ItemList"]["itemListElement"]] == ["https://fixture.example/prompts/beta-prompts/"]

    prompt = {d["@type"]: d for d in jsonld((out / "prompts/beta-prompts/index.html").read_text("utf-8"))}
    assert "CreativeWork" in prompt and "author" in prompt["CreativeWork"]

    for page in out.rglob("*.html"):
        html = page.read_text("utf-8")
        assert "AggregateRating" not in html and "aggregateRating" not in html
        if page.name == "404.html":  # not an address to index (tests/site/test_sharing.py)
            assert 'rel="canonical"' not in html
        else:
            assert '<link rel="canonical" href="https://fixture.example/' in html
            assert any(d["@type"] == "BreadcrumbList" for d in jsonld(html)), page
