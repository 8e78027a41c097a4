"""Compare any two (/compare/?a=&b=) in Debian's Chromium: on the built example site, every pair
that has a static page reads in the browser as its page does (slow); on the browser test site, a
pair without one gets a full table and the verdict catalog.verdict gives it, the address keeps
the pair, the pickers work by keyboard, nothing shifts, and without script the list stays."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from unfragile_ssg.catalog.model import SUBSCORES, Scores
from unfragile_ssg.catalog.verdict import verdict
from unfragile_ssg.config import load_project

from tests.nginx import AVAILABLE as NGINX_AVAILABLE, MISSING as NGINX_MISSING, served_folder

from .conftest import ROOT, SITE, ServedSite, served_at_root_and_under_sub_path

pytestmark = pytest.mark.browser

TABLE = """table => [...table.querySelectorAll('tr')].map(tr => [...tr.cells].map(c => c.textContent.replace(/\\s+/g, ' ').trim()))"""
HEAD_LINKS = """table => [...table.querySelectorAll('thead a')].map(a => a.getAttribute('href'))"""


@pytest.fixture(scope="module")
def example_sites(tmp_path_factory):
    """The example site built at the server's root and under /sub/path/, each served by nginx
    with the documented server block on 127.0.0.1."""
    if not NGINX_AVAILABLE:
        pytest.skip(NGINX_MISSING)
    top = served_folder("unfragile-compare-")
    work = tmp_path_factory.mktemp("example-sites")
    source = work / "source"  # a copy: a build keeps its caches beside the settings
    shutil.copytree(ROOT, source, ignore=lambda folder, names: [n for n in names if Path(folder) == ROOT and n not in (
        "unfragile.yaml", "content", "captions", "layouts", "assets")])
    outputs = {"root": top / "root" / "site", "sub": top / "sub" / "sub" / "path"}
    for name, output in outputs.items():
        command = [sys.executable, "-m", "unfragile_ssg.cli", "build", "--config", str(source / "unfragile.yaml"), "-o", str(output),
                   "--no-search", "--no-captions"] + (["--base-url", "https://example.org/sub/path/"] if name == "sub" else [])
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 0, result.stdout + result.stderr
    try:
        with served_at_root_and_under_sub_path(top, work) as sites:
            yield sites
    finally:
        shutil.rmtree(top, ignore_errors=True)


def static_pairs(site: ServedSite) -> list[tuple[str, str, str]]:
    """Every comparison page: (path, first slug, second slug), sides in the page's order."""
    pairs = []
    for page in sorted((site.folder / "compare").glob("*-vs-*/index.html")):
        text = page.read_text("utf-8")
        table = text.split('<table class="versus">')[1].split("</thead>")[0]
        hrefs = [part.split('"')[0] for part in table.split('<a href="')[1:]]
        slugs = [href.rstrip("/").rsplit("/", 1)[1] for href in hrefs]
        pairs.append((page.parent.relative_to(site.folder).as_posix() + "/", slugs[0], slugs[1]))
    return pairs


def catalog(site: ServedSite) -> dict[str, dict]:
    return {e["slug"]: e for e in json.loads((site.folder / "api/v1/catalog.json").read_text("utf-8"))["entries"]}


def pick(page, first: str, second: str) -> None:
    """Type both names, as a reader picks them from the list, and wait for the table."""
    page.fill("#compare-a", first)
    page.fill("#compare-b", second)
    page.wait_for_function("([a, b]) => document.querySelector('.compare-status').textContent === `${a} vs ${b}: side by side.`",
                           arg=[first, second])


def shown_in_browser(page) -> tuple[list, list, str, str | None]:
    table = page.locator("table.compare-result")
    link = page.locator(".compare-page a")
    return (table.evaluate(TABLE), table.evaluate(HEAD_LINKS), page.locator(".compare-verdict p").inner_text(),
            link.get_attribute("href") if link.count() else None)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["root", "sub"])
def test_every_pair_with_a_page_reads_as_its_page(example_sites, chromium, name):
    site = example_sites[name]
    entries = catalog(site)
    pairs = static_pairs(site)
    assert len(pairs) > 40  # the example site's comparison pages
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page, static = context.new_page(), context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site.url("compare/"))
    page.wait_for_function("() => document.querySelectorAll('#compare-names option').length > 0")
    assert page.locator("#compare-names option").count() == len(entries)
    mismatches = {}
    for path, a, b in pairs:
        static.goto(site.url(path))
        expected = (static.locator("table.versus").evaluate(TABLE), static.locator("table.versus").evaluate(HEAD_LINKS),
                    static.locator(".verdict p").inner_text(), site.base_path + path)
        pick(page, entries[a]["name"], entries[b]["name"])
        got = shown_in_browser(page)
        if got != expected:
            mismatches[path] = {"page": expected, "picked": got}
        query = parse_qs(urlsplit(page.url).query)
        assert query == {"a": [a], "b": [b]} and urlsplit(page.url).path == site.base_path + "compare/"
    assert mismatches == {}, json.dumps(mismatches, indent=1)[:4000]
    assert errors == []
    context.close()


def unpaired(entries: dict[str, dict]) -> tuple[str, str]:
    """Two entries the match graph did not pair, of different kinds where there are such."""
    candidates = [(a, b) for a in sorted(entries) for b in sorted(entries) if a < b and b not in entries[a]["compared_with"]]
    return next(((a, b) for a, b in candidates if entries[a]["kind"] != entries[b]["kind"]), candidates[0])


def expected_verdict(first: dict, second: dict) -> str:
    """catalog.verdict on catalog.json's numbers: what a static page of this pair would say."""
    settings = load_project(SITE).settings

    def scores(entry):
        kind = settings.kinds[entry["kind"]]
        return Scores(rank=entry["scores"]["unfragile_rank"], applies=settings.scoring.applies(entry["kind"]), scope=kind.noun,
                      **{n: entry["scores"][n] for n in SUBSCORES})

    return verdict(first["name"], scores(first), second["name"], scores(second), settings.scoring.tie_margin)


def test_a_pair_without_a_page_gets_a_full_table_and_its_verdict(site, chromium):
    entries = catalog(site)
    a, b = unpaired(entries)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(site.url("compare/"))
    pick(page, entries[a]["name"], entries[b]["name"])
    rows, links, said, own_page = shown_in_browser(page)
    assert rows[0] == ["Feature", entries[a]["name"], entries[b]["name"]]
    assert [r[0] for r in rows[1:]] == ["Type", "UnfragileRank", "Adoption", "Quality", "Ecosystem", "Match Graph",
                                        "Pricing", "Capabilities", "Times Matched"]
    assert all(cell and cell != "–" for row in rows for cell in row), rows
    assert rows[-1][1:] == [str(len(entries[a]["compared_with"])), str(len(entries[b]["compared_with"]))]
    assert rows[-2][1:] == [f"{entries[a]['capability_count']} decomposed", f"{entries[b]['capability_count']} decomposed"]
    assert links == [urlsplit(entries[s]["url"]).path for s in (a, b)]
    assert said == expected_verdict(entries[a], entries[b])
    assert own_page is None and "no comparison page of their own" in page.locator(".compare-page").inner_text()

    # the address keeps the pair: opened afresh, it shows the same table and verdict
    shared = page.url
    assert parse_qs(urlsplit(shared).query) == {"a": [a], "b": [b]}
    fresh = context.new_page()
    fresh.goto(shared)
    fresh.wait_for_function("() => document.querySelector('.compare-status').textContent.endsWith('side by side.')")
    assert shown_in_browser(fresh) == (rows, links, said, None)
    assert fresh.input_value("#compare-a") == entries[a]["name"]

    # a name that is no entry, or the same entry twice, empties the table rather than keep the last pair
    page.fill("#compare-b", "No such")
    assert page.locator(".compare-status").inner_text() == "Pick two entries: type to filter by name."  # still typing
    page.fill("#compare-b", "No such entry")
    page.locator("#compare-b").press("Enter")
    assert "No entry is named “No such entry”" in page.locator(".compare-status").inner_text()
    assert page.locator("table.compare-result tbody tr").first.locator("td").all_inner_texts() == ["–", "–"]
    assert parse_qs(urlsplit(page.url).query) == {"a": [a]}
    page.fill("#compare-b", entries[a]["name"])
    assert page.locator(".compare-status").inner_text() == "Pick two different entries."
    context.close()


def test_pickers_work_by_keyboard_and_the_page_does_not_shift(served_sites, chromium):
    site = served_sites["root"]
    entries = catalog(site)
    a, b = unpaired(entries)
    # a shared address fills the table after catalog.json arrives: the skeleton painted before it
    # holds the space (layout shifts as the browser counts them, for every pair without a page)
    shifts = {}
    for width in (1280, 390):
        context = chromium.new_context(viewport={"width": width, "height": 844})
        context.add_init_script("""window.__shift = 0; new PerformanceObserver(list => {
            for (const e of list.getEntries()) window.__shift += e.value; }).observe({type: 'layout-shift', buffered: true});""")
        page = context.new_page()
        for x, y in [(x, y) for x in sorted(entries) for y in sorted(entries) if x < y and y not in entries[x]["compared_with"]]:
            page.goto(site.url(f"compare/?a={x}&b={y}"))
            page.wait_for_function("() => document.querySelector('.compare-status').textContent.endsWith('side by side.')")
            page.wait_for_timeout(100)
            shifts[(width, x, y)] = page.evaluate("() => window.__shift")
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), width
        context.close()
    assert len(shifts) >= 4 and max(shifts.values()) < 0.005, shifts

    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(site.url("compare/"))
    page.wait_for_function("() => document.querySelectorAll('#compare-names option').length > 0")
    assert page.locator("label[for=compare-a]").inner_text() == "First entry"
    assert page.locator("#compare-a").get_attribute("list") == "compare-names"
    page.locator("#compare-a").focus()
    page.keyboard.type(entries[a]["name"])
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "compare-b"
    page.keyboard.type(entries[b]["name"])
    page.keyboard.press("Enter")  # submits nothing: the page stays, with the pair in its address
    page.wait_for_function("() => document.querySelector('.compare-status').textContent.endsWith('side by side.')")
    assert parse_qs(urlsplit(page.url).query) == {"a": [a], "b": [b]}
    page.context.close()


def test_without_javascript_the_page_lists_the_comparisons(served_sites, chromium):
    site = served_sites["sub"]
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url("compare/"))
    assert not page.locator(".compare-any").is_visible()
    hrefs = page.locator(".compare-list a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == sorted(site.base_path + path for path, _, _ in static_pairs(site))
    context.close()
