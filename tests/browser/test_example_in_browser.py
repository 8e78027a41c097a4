"""The example site (this repository's catalog: 20 entries, 190 comparisons) as nginx serves it,
in Chromium: search over a real index, where a query finds more than one page of results."""

from __future__ import annotations

import json
import re

import pytest

from .test_site_in_browser import OVERFLOWING_TABLES, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Each result's text, with what the excerpt is cut from: the words Pagefind indexed for its page.
RESULTS = """async (query) => {
  const pagefind = await import('/pagefind/pagefind.js');
  await pagefind.init();
  const words = new Map();
  for (const r of (await pagefind.search(query)).results) { const d = await r.data(); words.set(d.url, d.content.split(/\\s+/).filter(Boolean)); }
  return [...document.querySelectorAll('.search-results li')].map((li) => {
    const url = li.querySelector('h2 a').getAttribute('href');
    return {url, title: li.querySelector('h2').innerText, excerpt: li.querySelector('.search-excerpt').innerText, words: words.get(url)};
  });
}"""
SENTENCE_END = re.compile(r"""[.!?:]["'”’)\]]*$""")


def shown(page) -> int:
    return page.locator(".search-results li").count()


def test_every_result_is_reachable_with_show_more(served_example, page):
    """49 results for "caption": 20, then 20 more, then the last 9, each page reached from the
    keyboard; together they are exactly what the index finds."""
    page.goto(served_example.url("search/?q=caption"))
    page.wait_for_selector(".search-status:not(:empty)")
    total = int(re.match(r"(\d+) results, 20 shown\.$", page.locator(".search-status").inner_text()).group(1))
    assert total > 40 and shown(page) == 20
    more = page.locator(".search-more button")
    seen = 20
    while seen < total:
        assert more.is_visible() and more.inner_text() == f"Show {min(20, total - seen)} more result{'s' if total - seen > 1 else ''}"
        more.focus()
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => document.querySelectorAll('.search-results li').length > {seen}")
        # the first new result has the focus, so the reader goes on from there
        focused = page.evaluate("() => [...document.querySelectorAll('.search-results li')].indexOf(document.activeElement.closest('li'))")
        assert focused == seen
        seen = shown(page)
        assert seen == min(total, focused + 20)
    assert not more.is_visible()
    assert page.locator(".search-status").inner_text() == f"{total} results."
    listed = page.locator(".search-results li h2 a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    indexed = page.evaluate("""async () => { const pagefind = await import('/pagefind/pagefind.js'); await pagefind.init();
        const search = await pagefind.search('caption'); return Promise.all(search.results.map(async r => (await r.data()).url)); }""")
    assert len(listed) == len(set(listed)) == total and set(listed) == set(indexed)


@pytest.mark.parametrize("query", ["florence", "blip vs", "heatmap", "caption"])
def test_excerpts_start_at_a_word_and_keep_names_whole(served_example, page, query):
    page.goto(served_example.url(f"search/?q={query}"))
    page.wait_for_selector(".search-status:not(:empty)")
    names = [entry["name"] for entry in json.loads((served_example.folder / "api/v1/catalog.json").read_text("utf-8"))["entries"]]
    results = page.evaluate(RESULTS, query)
    assert results
    for result in results:
        text, words = result["excerpt"], result["words"]
        assert words, f"{result['url']} is not among the index's results for {query!r}"
        lead, tail = text.startswith("… "), text.endswith(" …")
        shown_words = text.removeprefix("… ").removesuffix(" …").split()
        starts = [i for i in range(len(words)) if words[i:i + len(shown_words)] == shown_words]
        assert starts, f"{result['url']}: the excerpt is not a run of whole words of the page: {text!r}"
        start = starts[0]
        end = start + len(shown_words)
        # an ellipsis exactly where a sentence is cut
        cut_before = start > 0 and not SENTENCE_END.search(words[start - 1])
        cut_after = end < len(words) and not SENTENCE_END.search(words[end - 1])
        assert (lead, tail) == (cut_before, cut_after), f"{result['url']}: {text!r}"
        # no name cut at either end: the excerpt never starts inside a name or stops inside one
        for name in names:
            parts = name.split()
            for i in range(len(words) - len(parts) + 1):
                if [w.rstrip(".,;:)") for w in words[i:i + len(parts)]] == [p.rstrip(".,;:)") for p in parts]:
                    assert not (i < start < i + len(parts)), f"{result['url']}: starts inside {name!r}: {text!r}"
                    assert not (i < end < i + len(parts)), f"{result['url']}: stops inside {name!r}: {text!r}"
        assert not text.startswith(result["title"] + "."), "the excerpt repeats the heading"


def test_comparison_results_show_both_sides_ranks(served_example, page):
    catalog = json.loads((served_example.folder / "api/v1/catalog.json").read_text("utf-8"))["entries"]
    rank = {e["name"]: e["scores"]["unfragile_rank"] for e in catalog}
    page.goto(served_example.url("search/?q=shapes&kind=Comparison"))
    page.wait_for_selector(".search-status:not(:empty)")
    metas = page.locator(".search-results li .search-meta").all_inner_texts()
    titles = page.locator(".search-results li h2").all_inner_texts()
    assert len(metas) >= 3
    unranked = 0
    for title, meta in zip(titles, metas):
        first, second = title.split(" vs ")
        expected = ["Comparison"] + [f"{name}: " + (f"UnfragileRank {rank[name]:.0f}/100" if rank[name] is not None else "not ranked yet")
                                     for name in (first, second)]
        assert meta.split(" · ") == expected
        unranked += meta.count("not ranked yet")
    assert unranked  # the shapes captioner has no UnfragileRank: its side says so


EXAMPLE_PAGES = {  # page name -> path: the pages Lighthouse scores (tests/browser/test_lighthouse.py)
    "home": "",
    "entry": "models/blip-image-captioning-base/",
    "comparison": "compare/blip-image-captioning-base-vs-blip-image-captioning-large/",
    "search": "search/?q=caption",
    "methodology": "methodology/",
}


def test_every_example_page_fits_a_phone_and_screenshots_are_saved(served_example, chromium):
    """At 390 px no table of any page is wider than its box without the scroll cue, no page scrolls
    sideways, and a comparison shows both names in view; screenshots at 390 and 1280 px are kept
    in artifacts/screenshots/example-*.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = {}
    for path in served_example.pages():
        page.goto(served_example.url(path))
        found = page.evaluate(OVERFLOWING_TABLES)
        if page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth"):
            found.append("the page scrolls sideways")
        if path.startswith("compare/") and path != "compare/":
            for name in page.locator("table.versus thead th a").all():
                box = name.bounding_box()
                if not (box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844):
                    found.append(f"{name.inner_text()!r} is not in view")
        if found:
            problems[path] = found
    assert len(served_example.pages()) > 80
    assert problems == {}
    context.close()
    for width, height, device in ((390, 844, "phone"), (1280, 900, "desktop")):
        context = chromium.new_context(viewport={"width": width, "height": height}, is_mobile=device == "phone", has_touch=device == "phone")
        page = context.new_page()
        for name, path in EXAMPLE_PAGES.items():
            page.goto(served_example.url(path))
            if name == "search":
                page.wait_for_selector(".search-status:not(:empty)")
            page.screenshot(path=str(SCREENSHOTS / f"example-{name}-{device}.png"), full_page=True)
        context.close()
