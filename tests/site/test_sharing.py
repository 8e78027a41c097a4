"""What a page offers to search engines and to the apps a link is shared in: share cards
(og:image), JSON-LD without invented or repeated facts, and a 404 that is not indexed."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from PIL import Image

from unfragile_ssg.config import load_project
from unfragile_ssg.site.build import BuildOptions, build_site

from tests.conftest import tree

BASE = "https://fixture.example/"  # the basic fixture site's base_url


def build(config: Path, output: Path, cache: Path):
    return build_site(load_project(config), BuildOptions(output=output, cache_dir=cache, search=False, captions=False))


def meta(html: str, name: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)">', html)
    return found.group(1) if found else None


def json_ld(html: str) -> list[dict]:
    return [json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html)]


def test_every_entry_and_comparison_has_its_own_card(basic_site: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    build(basic_site, output, tmp_path / "cache")
    pages = sorted(output.glob("models/*/index.html")) + sorted(output.glob("prompts/*/index.html")) + sorted(output.glob("compare/*/index.html"))
    cards = set()
    for page in pages:
        html = page.read_text("utf-8")
        url = meta(html, "og:image")
        assert url and url.startswith("https://fixture.example/cards/") and url.endswith(".jpg"), page
        assert re.search(r"\.[0-9a-f]{10}\.jpg$", url), url  # fingerprinted
        image = Image.open(io.BytesIO((output / url.removeprefix(BASE)).read_bytes()))
        assert image.size == (1200, 630) and image.format == "JPEG"
        assert (meta(html, "og:image:width"), meta(html, "og:image:height")) == ("1200", "630")
        assert meta(html, "twitter:card") == "summary_large_image"
        cards.add(url)
    assert len(cards) == len(pages) > 3
    alpha = (output / "models/alpha-captioner/index.html").read_text("utf-8")
    assert re.fullmatch(r"Alpha Captioner: Model, (UnfragileRank \d+/100|Not ranked yet)", meta(alpha, "og:image:alt"))
    assert meta((output / "index.html").read_text("utf-8"), "og:image") is None  # lists have no card of their own
    assert "cards/" not in (output / "sitemap.xml").read_text("utf-8")


def test_cards_are_the_same_bytes_in_two_builds_and_redrawn_only_when_they_change(basic_site: Path, tmp_path: Path) -> None:
    first = build(basic_site, tmp_path / "one", tmp_path / "cache-one")
    build(basic_site, tmp_path / "two", tmp_path / "cache-two")
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    cards = {path for path in one if path.startswith("cards/")}
    assert cards and {path: one[path] for path in cards} == {path: two[path] for path in cards if path in two}
    assert cards == {path for path in two if path.startswith("cards/")}

    entry = basic_site.parent / "content" / "models" / "gamma-writer.md"
    entry.write_text(re.sub(r"^title: .*$", "title: Gamma Renamed", entry.read_text("utf-8"), count=1, flags=re.M), "utf-8")
    again = build(basic_site, tmp_path / "one", tmp_path / "cache-one")
    now = tree(tmp_path / "one")
    new_cards = {path for path in now if path.startswith("cards/")}
    gone, added = cards - new_cards, new_cards - cards
    assert gone and all("gamma-writer" in path for path in gone)  # its card and its comparisons' cards
    assert {p.split(".")[0] for p in gone} == {p.split(".")[0] for p in added}
    assert all(now[path] == one[path] for path in cards & new_cards)  # the rest kept
    assert again.stats.rendered < first.stats.rendered
    html = (tmp_path / "one" / "models/gamma-writer/index.html").read_text("utf-8")
    assert meta(html, "og:image").removeprefix(BASE) in added


def test_not_found_page_is_not_indexed_and_names_no_canonical_address(basic_site: Path, tmp_path: Path) -> None:
    build(basic_site, tmp_path / "out", tmp_path / "cache")
    html = (tmp_path / "out" / "404.html").read_text("utf-8")
    assert '<meta name="robots" content="noindex">' in html
    assert 'rel="canonical"' not in html and meta(html, "og:url") is None
    assert 'rel="canonical"' in (tmp_path / "out" / "index.html").read_text("utf-8")


def test_json_ld_states_only_what_the_entry_says_once(basic_site: Path, tmp_path: Path) -> None:
    content = basic_site.parent / "content" / "models"
    alpha = content / "alpha-captioner.md"
    text = alpha.read_text("utf-8")  # the same address as homepage and as docs: named once
    alpha.write_text(text.replace("  homepage: https://example.org/alpha\n",
                                  "  homepage: https://example.org/alpha\n  docs: https://example.org/alpha\n"), "utf-8")
    build(basic_site, tmp_path / "out", tmp_path / "cache")
    things = {}
    for slug in ("alpha-captioner", "gamma-writer"):
        html = (tmp_path / "out" / "models" / slug / "index.html").read_text("utf-8")
        things[slug] = next(d for d in json_ld(html) if d["@type"] == "SoftwareApplication")
    free, paid = things["alpha-captioner"], things["gamma-writer"]
    assert free["sameAs"] == ["https://example.org/alpha", "https://github.com/example/alpha"]
    assert free["offers"] == {"@type": "Offer", "price": 0, "priceCurrency": "USD"}
    assert free["applicationCategory"] == "DeveloperApplication"
    assert "offers" not in paid  # its price is not in its fields: not invented
    assert "operatingSystem" not in free and "operatingSystem" not in paid  # neither entry says which


def test_json_ld_names_the_operating_systems_an_entry_states(basic_site: Path, tmp_path: Path) -> None:
    content = basic_site.parent / "content"
    alpha = content / "models" / "alpha-captioner.md"
    alpha.write_text(alpha.read_text("utf-8").replace("pricing: free\n", "pricing: free\noperating_systems: [Linux, macOS]\n", 1), "utf-8")
    prompt = next((content / "prompts").glob("*.md"))  # a CreativeWork: the field states it, schema.org has no place for it
    prompt.write_text(prompt.read_text("utf-8").replace("pricing:", "operating_systems: [Windows]\npricing:", 1), "utf-8")
    build(basic_site, tmp_path / "out", tmp_path / "cache")
    alpha_html = (tmp_path / "out" / "models" / "alpha-captioner" / "index.html").read_text("utf-8")
    app = next(d for d in json_ld(alpha_html) if d["@type"] == "SoftwareApplication")
    assert app["operatingSystem"] == "Linux, macOS"
    assert "<li>Runs on Linux, macOS</li>" in alpha_html  # what the structured data says, the page shows
    prompt_html = (tmp_path / "out" / "prompts" / prompt.stem / "index.html").read_text("utf-8")
    assert "operatingSystem" not in prompt_html
