"""The link checker: parsing, resolving under a base path, fragments, and messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from unfragile_ssg.memo import Caches
from unfragile_ssg.post.links import check_links, find_broken, link_memo, parse_page


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")


def test_parse_page_finds_links_srcset_candidates_and_ids() -> None:
    page = parse_page(
        b'<a href="/a/">x</a><img src="i.png" srcset="i-1x.png 1x, i-2x.png 2x">'
        b"<h2 id='top-part'>t</h2><a name=\"old\"></a><meta name=\"description\" content=\"d\">"
        b'<a href="/a/?x=1&amp;y=2">again</a><a href="/a/">dup</a>'
    )
    assert page.links == ["/a/", "i.png", "i-1x.png", "i-2x.png", "/a/?x=1&y=2"]
    assert page.ids == {"top-part", "old"}


def test_parse_page_finds_attributes_after_any_whitespace_and_keeps_values_as_written() -> None:
    page = parse_page(b'<a\nhref="/n/">n</a><a\thref="/t/">t</a><a\r\nhref="/r/">r</a><img\fsrc="f.png">'
                      b'<p\n  id="after-newline">p</p><a href="/x/\ny/">x</a><a data-href="/no/">no</a>')
    assert page.links == ["/n/", "/t/", "/r/", "f.png", "/x/\ny/"]
    assert page.ids == {"after-newline"}


@pytest.mark.parametrize("base", ["/", "/sub/path/"])
def test_resolves_pretty_urls_relative_links_and_fragments(tmp_path: Path, base: str) -> None:
    write(tmp_path, {
        "index.html": f'<a href="{base}models/x/">x</a><a href="{base}models/x/#scores">s</a><a href="{base}feed.xml">f</a>'
                      f'<a href="https://example.org/">e</a><a href="mailto:a@b.c">m</a><a href="#main">m</a><main id="main"></main>',
        "models/x/index.html": '<h2 id="scores">S</h2><a href="../../">home</a><a href="../y">y</a><img src="pic.png">'
                               '<a href="?page=2">q</a>',
        "models/y/index.html": "",
        "models/x/pic.png": "",
        "feed.xml": "<feed/>",
    })
    assert find_broken(tmp_path, base) == []


def test_reports_missing_files_fragments_and_links_outside_the_base(tmp_path: Path) -> None:
    write(tmp_path, {
        "index.html": '<a href="/sub/path/nowhere/">a</a><a href="/sub/path/models/x/#nope">b</a>'
                      '<a href="/elsewhere/">c</a><a href="#gone">d</a><a href="../../../..">e</a><a href="javascript:void(0)">j</a>',
        "models/x/index.html": '<h2 id="scores">S</h2>',
    })
    broken = {(b.page, b.link): b.reason for b in find_broken(tmp_path, "/sub/path/")}
    assert broken == {
        ("index.html", "/sub/path/nowhere/"): "no such file in the output",
        ("index.html", "/sub/path/models/x/#nope"): "no element with id 'nope' on models/x/index.html",
        ("index.html", "/elsewhere/"): "points outside the site's base path /sub/path/",
        ("index.html", "#gone"): "no element with id 'gone' on index.html",
        ("index.html", "../../../.."): "points outside the site's base path /sub/path/",
        ("index.html", "javascript:void(0)"): "uses a javascript: URL",
    }


def test_message_names_page_link_and_source_file_at_its_line(tmp_path: Path) -> None:
    site = tmp_path / "out"
    write(site, {"compare/a-vs-b/index.html": '<a href="/missing/">m</a>'})
    write(tmp_path, {"content/models/a.md": "---\ntitle: A\n---\n", "content/models/b.md": "---\ntitle: B\n---\nSee [it](/missing/).\n"})
    sources = {"compare/a-vs-b/index.html": ("content/models/a.md", "content/models/b.md")}
    problems, _ = check_links(site, "/", sources, root=tmp_path)
    assert [str(p) for p in problems] == [
        "content/models/b.md:4:10: broken link on compare/a-vs-b/index.html: '/missing/' no such file in the output "
        "(source: content/models/a.md, content/models/b.md)"
    ]
    assert problems[0].severity == "warning"
    strict, _ = check_links(site, "/", sources, root=tmp_path, strict=True)
    assert strict[0].severity == "error"


def test_parallel_parse_matches_serial(tmp_path: Path, monkeypatch) -> None:
    from unfragile_ssg.post import links

    files = {f"p{i}/index.html": f'<a href="/p{(i + 1) % 50}/#h{i}">n</a><h2 id="h{i}">x</h2>' for i in range(50)}
    write(tmp_path, files)
    serial = links.parse_site(tmp_path, jobs=1)
    monkeypatch.setattr(links, "PARALLEL_PAGES", 10)
    assert links.parse_site(tmp_path, jobs=2) == serial
    assert len(find_broken(tmp_path, "/", serial)) == 50  # each links to the next page's missing id


def test_external_links_are_checked_only_when_asked(tmp_path: Path) -> None:
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    served = tmp_path / "served"
    write(served, {"ok.html": "fine"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        origin = f"http://127.0.0.1:{server.server_port}"
        site = tmp_path / "out"
        write(site, {"index.html": f'<a href="{origin}/ok.html">ok</a><a href="{origin}/gone.html#x">gone</a>'})
        assert check_links(site, "/", {})[0] == []
        problems, timings = check_links(site, "/", {}, external=True)
        assert [p.message for p in problems] == [f"broken link on index.html: '{origin}/gone.html' external link failed: HTTP 404"]
        assert "links: external" in timings
    finally:
        server.shutdown()
        server.server_close()


def test_cached_verdicts_are_dropped_when_the_files_change(tmp_path: Path) -> None:
    site = tmp_path / "site"
    cache = link_memo(Caches(tmp_path / "cache"), site)
    write(site, {"index.html": '<a href="/models/x/">x</a>', "models/x/index.html": "<p>x</p>"})
    keys = {"index.html": "k1", "models/x/index.html": "k2"}
    files = list(keys)
    assert check_links(site, "/", {}, cache=cache, keys=keys, files=files)[0] == []

    (site / "models/x/index.html").unlink()  # the home page is unchanged, the file it links to is gone
    del keys["models/x/index.html"]
    problems, _ = check_links(site, "/", {}, cache=cache, keys=keys, files=list(keys))
    assert [p.message for p in problems] == ["broken link on index.html: '/models/x/' no such file in the output"]
    # and under another base path, the same files give other verdicts
    problems, _ = check_links(site, "/sub/", {}, cache=cache, keys=keys, files=list(keys))
    assert "points outside the site's base path /sub/" in problems[0].message


def test_an_unchanged_page_is_checked_again_when_a_page_it_links_into_changes(tmp_path: Path, monkeypatch) -> None:
    from unfragile_ssg.post import links

    site = tmp_path / "site"
    cache = link_memo(Caches(tmp_path / "cache"), site)
    write(site, {"index.html": '<a href="/b/#part">b</a><a href="/c/">c</a><a href="#main">m</a><main id="main"></main>',
                 "b/index.html": '<h2 id="part">P</h2>', "c/index.html": '<p>c</p>'})
    keys = {"index.html": "home", "b/index.html": "b1", "c/index.html": "c1"}
    assert check_links(site, "/", {}, cache=cache, keys=keys, files=list(keys))[0] == []

    followed: list[str] = []
    real = links.Resolver.follow
    monkeypatch.setattr(links.Resolver, "follow", lambda self, page, link: followed.append(page) or real(self, page, link))
    assert check_links(site, "/", {}, cache=cache, keys=keys, files=list(keys))[0] == []
    assert followed == []  # nothing changed: every page's verdict holds

    write(site, {"c/index.html": "<p>c, changed</p>"})
    keys["c/index.html"] = "c2"
    assert check_links(site, "/", {}, cache=cache, keys=keys, files=list(keys))[0] == []
    assert "index.html" not in followed  # the home page does not depend on c's ids

    write(site, {"b/index.html": "<h2>no id any more</h2>"})
    keys["b/index.html"] = "b2"
    problems, _ = check_links(site, "/", {}, cache=cache, keys=keys, files=list(keys))
    assert [p.message for p in problems] == ["broken link on index.html: '/b/#part' no element with id 'part' on b/index.html"]
