from __future__ import annotations

import pytest

from unfragile_ssg.render.markdown import is_safe_link, render_inline, render_markdown


def test_raw_html_is_escaped() -> None:
    html = render_markdown('<script>alert("x")</script>\n\n<img src=x onerror=alert(1)>')
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:x", "data:text/html,x", "vbscript:x", "file:///etc/passwd"])
def test_unsafe_link_schemes_are_not_links(url: str) -> None:
    assert not is_safe_link(url)
    assert "<a " not in render_markdown(f"[click]({url})")


@pytest.mark.parametrize("url", ["https://example.org/", "http://x.y/z?q=1#f", "mailto:a@b.c", "../other/", "#section", "page.html", "/abs/path"])
def test_safe_links_are_kept(url: str) -> None:
    assert is_safe_link(url)
    assert '<a href="' in render_markdown(f"[ok]({url})")


def test_headings_are_demoted_below_the_page_title() -> None:
    html = render_markdown("# One\n\n## Two\n\n###### Six")
    assert "<h2>One</h2>" in html and "<h3>Two</h3>" in html and "<h6>Six</h6>" in html


def test_external_links_get_rel_and_tables_work() -> None:
    html = render_markdown("[x](https://example.org)\n\n|a|b|\n|-|-|\n|1|2|\n")
    assert 'rel="noopener nofollow"' in html
    assert "<table>" in html


def test_inline_markdown_has_no_blocks_and_stays_safe() -> None:
    from unfragile_ssg.render.markdown import render_inline

    html = render_inline("Uses `BlipProcessor` and <b>raw</b> [x](javascript:alert(1)) [y](https://e.org)")
    assert "<code>BlipProcessor</code>" in html
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert 'href="javascript' not in html and 'href="https://e.org"' in html
    assert "<p>" not in html


def test_links_from_the_site_root_get_the_base_path() -> None:
    html = render_markdown("[BLIP](/models/blip/) and [paper](https://example.org/) and ![x](/media/a.png) and [top](//cdn.example.org/x)", "/catalog/")
    assert 'href="/catalog/models/blip/"' in html
    assert 'src="/catalog/media/a.png"' in html
    assert 'href="//cdn.example.org/x"' in html  # another host: left alone
    assert 'href="/models/blip/"' in render_markdown("[BLIP](/models/blip/)")
    assert 'href="/catalog/tasks/"' in render_inline("see [tasks](/tasks/)", "/catalog/")


def test_a_table_scrolls_inside_its_own_box_on_a_phone() -> None:
    html = render_markdown("| method | first |\n|---|---|\n| gradcam | 0.9 |\n")
    assert html.startswith('<div class="table-scroll" tabindex="0" role="region" aria-label="Table">\n<table>')
    assert html.rstrip().endswith("</table>\n</div>")
    assert render_markdown("no table here") == "<p>no table here</p>\n"
