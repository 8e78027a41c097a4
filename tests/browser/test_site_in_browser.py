"""The built site as a reader uses it, in a real headless Chromium, at the root and under /sub/path/."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"

pytestmark = pytest.mark.browser

AUDITED = {  # page name -> path under the base path
    "home": "",
    "entry": "models/lens-captioner/",
    "comparison": "compare/lens-captioner-vs-quill-prompts/",
    "compare-any": "compare/?a=argus-detector&b=lens-captioner",  # filled by compare.js
    "methodology": "methodology/",
    "search": "search/?q=caption",
}


def search_results(page) -> list[str]:
    page.wait_for_selector(".search-status:not(:empty)", timeout=10_000)
    return page.locator(".search-results li h2 a").all_inner_texts()


def test_search_finds_the_entry_for_a_query(site, page):
    page.goto(site.url("search/"))
    page.fill("#search-q", "heliotrope")
    titles = search_results(page)
    assert titles and titles[0] == "Lens Captioner"
    href = page.locator(".search-results li h2 a").first.get_attribute("href")
    assert href == site.base_path + "models/lens-captioner/"
    page.fill("#search-q", "lens")  # a name: the entry comes before the comparisons that repeat it
    page.wait_for_function("() => document.querySelectorAll('.search-results li').length > 1")
    assert search_results(page)[0] == "Lens Captioner"
    page.locator(".search-results li h2 a").first.click()
    page.wait_for_url(site.url("models/lens-captioner/"))
    assert page.locator("h1").inner_text() == "Lens Captioner"


def test_search_honours_filters_and_sorts_by_rank(site, page):
    page.goto(site.url("search/?q=caption"))
    everything = search_results(page)
    assert "Quill Prompts" in everything and "Lens Captioner" in everything

    page.select_option("#search-kind", "Prompt")
    page.wait_for_function("() => !document.querySelector('.search-results').textContent.includes('Lens Captioner')")
    assert search_results(page) == ["Quill Prompts"]
    assert "kind=Prompt" in page.url  # the state is in the address, so it can be shared

    page.select_option("#search-kind", "")
    page.fill("#search-q", "image")
    page.select_option("#search-task", "Object detection")
    page.wait_for_function("() => document.querySelector('.search-results').textContent.includes('Argus')")
    titles = search_results(page)
    assert "Argus Detector" in titles and "Quill Prompts" not in titles

    page.goto(site.url("search/?kind=Model&sort=rank"))  # no query: every model, best first
    page.wait_for_function("() => document.querySelectorAll('.search-results li').length === 3")
    assert search_results(page) == ["Lens Captioner", "Vista VQA", "Argus Detector"]


def test_search_page_without_javascript_offers_the_index_pages(site, chromium):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url("search/"))
    assert not page.locator("form.search-form").is_visible()
    hrefs = page.locator(".browse a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    for path in ("models/", "prompts/", "compare/", "tasks/image-captioning/", "tasks/object-detection/"):
        assert site.base_path + path in hrefs
    context.close()


def test_more_capabilities_expand(site, page):
    page.goto(site.url("models/lens-captioner/"))
    summary = page.locator("details.more-capabilities summary")
    assert summary.inner_text() == "+2 more capabilities"
    hidden = page.get_by_text("Alt text for the web", exact=True)
    assert not hidden.is_visible()
    summary.focus()
    page.keyboard.press("Enter")
    assert hidden.is_visible()
    summary.click()
    assert not hidden.is_visible()


def test_every_page_loads_cleanly_from_this_host_only(site, page):
    problems: list[str] = []
    origin = urlsplit(site.origin).netloc
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: problems.append(f"request to another host: {r.url}")
            if urlsplit(r.url).scheme in ("http", "https") and urlsplit(r.url).netloc != origin else None)
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    paths = site.pages() + ["search/?q=caption&kind=Model"]
    assert len(paths) > 15
    for path in paths:
        before = len(problems)
        page.goto(site.url(path), wait_until="load")
        if path.startswith("search/?"):
            search_results(page)
        problems[before:] = [f"{path}: {p}" for p in problems[before:]]
    assert problems == []


FOCUSABLE = """() => [...document.querySelectorAll(
  'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
  .filter(el => !el.disabled && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden')"""


@pytest.mark.parametrize("path", ["", "models/lens-captioner/", "compare/lens-captioner-vs-quill-prompts/", "search/?q=caption",
                                  "compare/?a=argus-detector&b=lens-captioner"])
def test_keyboard_reaches_every_interactive_element(served_sites, page, path):
    site = served_sites["root"]
    page.goto(site.url(path))
    if path.startswith("search/"):
        search_results(page)
    if path.startswith("compare/?"):
        page.wait_for_function("() => document.querySelector('.compare-status').textContent.endsWith('side by side.')")
    count = page.evaluate(f"() => ({FOCUSABLE})().map((el, i) => el.setAttribute('data-focus-id', i)).length")
    assert count > 5
    reached: list[str] = []
    for _ in range(count + 5):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement && document.activeElement.getAttribute('data-focus-id')")
        if focused is not None:
            reached.append(focused)
        visible = page.evaluate("""() => { const el = document.activeElement; if (!el || el === document.body) return true;
            const box = el.getBoundingClientRect(); return box.width > 0 && box.height > 0; }""")
        assert visible, "the focused element is invisible"
    missing = sorted(set(map(str, range(count))) - set(reached), key=int)
    labels = page.evaluate("ids => ids.map(i => document.querySelector(`[data-focus-id='${i}']`).outerHTML.slice(0, 120))", missing)
    assert not missing, f"Tab never reaches: {labels}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_and_screenshots_are_saved(served_sites, chromium, scheme):
    site = served_sites["root"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    failures = {}
    for width, height, device in ((1280, 900, "desktop"), (390, 844, "phone")):
        context = chromium.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                       device_scale_factor=1, is_mobile=device == "phone", has_touch=device == "phone")
        page = context.new_page()
        for name, path in AUDITED.items():
            page.goto(site.url(path))
            if name == "search":
                search_results(page)
            if name == "compare-any":
                page.wait_for_function("() => document.querySelector('.compare-status').textContent.endsWith('side by side.')")
            if name == "entry":
                page.locator("details.more-capabilities summary").click()  # audit the expanded list too
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{scheme}-{device}.png"), full_page=True)
            page.add_script_tag(path=str(AXE))
            # target-size (WCAG 2.2, tap targets of 24 px) is off in axe by default
            result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations'], rules: {'target-size': {enabled: true}}})).violations"
                                   ".map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary).slice(0, 5)}))")
            if result:
                failures[f"{name} ({scheme}, {width} px)"] = result
        context.close()
    assert failures == {}, json.dumps(failures, indent=1)


OVERFLOWING_TABLES = """() => [...document.querySelectorAll('table')].flatMap(table => {
  const box = table.parentElement, style = getComputedStyle(box);
  if (table.getBoundingClientRect().width <= box.clientWidth + 1) return [];
  // wider than its box: allowed only where the box scrolls and shows that it does (.table-scroll's edge shadows)
  const scrolls = ['auto', 'scroll'].includes(style.overflowX), cue = style.backgroundImage.includes('gradient');
  return scrolls && cue ? [] : [`${table.className || 'table'}: ${Math.round(table.getBoundingClientRect().width)} px in ${box.clientWidth} px`];
})"""


@pytest.mark.parametrize("width", [360, 390])
def test_on_a_phone_every_table_shows_its_data(served_sites, chromium, width):
    """No table is wider than its box without a scroll cue, the page never scrolls sideways, list rows
    show rank, pricing and matches, and a comparison shows both names and both sides' scores in view."""
    site = served_sites["root"]
    context = chromium.new_context(viewport={"width": width, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = {}
    for path in site.pages():
        page.goto(site.url(path))
        found = page.evaluate(OVERFLOWING_TABLES)
        if page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth"):
            found.append("the page scrolls sideways")
        if found:
            problems[path] = found
    assert problems == {}

    page.goto(site.url(""))
    first = page.locator("table.ranked tbody tr").first
    for label in ("UnfragileRank", "Pricing", "Matched"):
        cell = first.locator(f'td[data-label="{label}"]')
        assert cell.is_visible() and cell.bounding_box()["x"] + cell.bounding_box()["width"] <= width, label
    assert first.locator("td.rank-number").inner_text() == "1"

    page.goto(site.url(AUDITED["comparison"]))
    table = page.locator("table.versus")
    assert table.bounding_box()["width"] <= width  # stacked into the screen, not scrolled
    names = table.locator("thead th a")
    assert names.count() == 2
    ranks = table.locator("tbody tr").nth(1).locator("td")
    for item in (names.nth(0), names.nth(1), ranks.nth(0), ranks.nth(1)):
        box = item.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, item.inner_text()
    context.close()


def test_tables_scroll_with_a_visible_cue_when_too_wide(served_sites, chromium):
    """The check above can fail: a table forced wider than its box, in a box without the cue."""
    site = served_sites["root"]
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(site.url(AUDITED["entry"]))
    page.evaluate("() => { const t = document.querySelector('table.facts'); t.style.minWidth = '900px'; }")
    assert page.evaluate(OVERFLOWING_TABLES) == []  # scrolls inside .table-scroll, which shows its edge shadows
    page.evaluate("() => { document.querySelector('table.facts').parentElement.style.background = 'none'; }")
    box = page.evaluate("() => document.querySelector('table.facts').parentElement.clientWidth")
    assert page.evaluate(OVERFLOWING_TABLES) == [f"facts: 900 px in {box} px"]
    context.close()


def test_list_tables_sort_with_script_and_narrow_without(site, chromium):
    """The Type, Task and Pricing links lead to pre-filtered lists with no script; lists.js adds a
    "Sort by" control that reorders the rows on the page."""
    plain = chromium.new_context(java_script_enabled=False).new_page()
    plain.goto(site.url("models/"))
    assert plain.locator(".list-sort").count() == 0
    links = plain.locator(".list-filters a")
    hrefs = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert site.base_path + "pricing/free/" in hrefs and site.base_path + "prompts/" in hrefs
    assert plain.locator('.list-filters a[aria-current="page"]').inner_text().startswith("Models")
    plain.goto(site.url("pricing/free/"))
    assert plain.locator("h1").inner_text() == "Pricing: Free"
    names = plain.locator("table.ranked tbody tr td:nth-child(2) a").all_inner_texts()
    assert names and plain.locator("table.ranked tbody tr td.rank-number").first.inner_text() == "1"
    plain.context.close()

    page = chromium.new_context().new_page()
    page.goto(site.url("models/"))
    table = page.locator("table.ranked").first
    by_rank = table.locator("tbody tr td:nth-child(2) a").all_inner_texts()
    assert len(by_rank) >= 2
    page.select_option("#list-sort-0", label="Name")
    by_name = table.locator("tbody tr td:nth-child(2) a").all_inner_texts()
    assert by_name == sorted(by_rank, key=str.lower) and set(by_name) == set(by_rank)
    assert table.locator("th", has_text="Name").get_attribute("aria-sort") == "ascending"
    page.select_option("#list-sort-0", label="UnfragileRank")
    assert table.locator("tbody tr td:nth-child(2) a").all_inner_texts() == by_rank  # best first, as listed
    page.select_option("#list-sort-0", label="as listed")
    assert table.locator("tbody tr td:nth-child(2) a").all_inner_texts() == by_rank
    page.context.close()


LAYOUT_SHIFT = """() => new Promise(resolve => {
  let total = 0;  // Cumulative Layout Shift as Lighthouse counts it: shifts not caused by the reader
  new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value; })
    .observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve(total), 300);
})"""


def test_search_results_arriving_move_nothing(site, chromium):
    """On a phone, a search page opened with a query keeps room for the form and the results, so
    nothing on the screen moves when they arrive; without that room the Browse section jumps."""
    def without_room(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace('classList.add("searching")', "classList"))

    def late(route):  # the index arrives after the first paint, as on a slow phone
        time.sleep(0.4)
        route.continue_()

    shifts = []
    for strip_the_room in (True, False):  # each in a fresh browser context: nothing cached
        context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.route("**/pagefind/pagefind.js", late)
        if strip_the_room:
            page.route("**/search/?q=*", without_room)
        page.goto(site.url("search/?q=caption"))
        search_results(page)
        shifts.append(page.evaluate(LAYOUT_SHIFT))
        context.close()
    assert shifts[0] > 0.1  # the measure sees a shift where there is one
    assert shifts[1] < 0.01


def test_a_missing_page_is_the_sites_404_page_with_its_styles(site, page):
    """nginx answers an address with no page with the site's 404.html (under a sub-path too: the
    page's own address, its links and its stylesheet all carry the base path)."""
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and r.request.resource_type != "document" else None)
    response = page.goto(site.url("models/no-such-entry/"))
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert page.evaluate("() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")  # style.css applies
    assert failed == []
    page.get_by_role("link", name="home page").click()
    page.wait_for_url(site.url(""))
    assert page.url == site.origin + site.base_path
