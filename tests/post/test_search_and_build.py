"""The post stage inside a build: the Pagefind index (and its reuse), and link-check outcomes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli
from unfragile_ssg.config import load_project
from unfragile_ssg.errors import SiteError
from unfragile_ssg.site.build import BuildOptions, build_site


def build(config: Path, output: Path, **options):
    return build_site(load_project(config), BuildOptions(output=output, **options))


def test_search_index_covers_entries_and_comparisons_and_is_reused(basic_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = build(basic_site, out)
    pagefind = out / "pagefind"
    meta = json.loads((pagefind / "pagefind-entry.json").read_text("utf-8"))
    entries = len(list((basic_site.parent / "content").rglob("*.md")))
    comparisons = len([p for p in (out / "compare").iterdir() if p.is_dir()])
    assert sum(lang["page_count"] for lang in meta["languages"].values()) == entries + comparisons
    assert (pagefind / "pagefind.js").is_file() and list((pagefind / "filter").iterdir())
    search_page = (out / "search/index.html").read_text("utf-8")
    assert 'data-bundle="/pagefind/pagefind.js"' in search_page and 'href="/tasks/image-captioning/"' in search_page
    assert result.warnings == []

    before = pagefind / "pagefind-entry.json"
    first = (before.read_bytes(), before.stat().st_ino)
    again = build(basic_site, out)  # nothing changed: the previous index is copied, not rebuilt
    assert any(name.endswith("search: reused") for name, _ in again.timings)
    after = out / "pagefind" / "pagefind-entry.json"
    assert after.read_bytes() == first[0] and after.stat().st_ino != first[1]  # a copy: never a shared file

    with open(after, "r+b") as handle:  # edited by hand, in place, in the folder it is copied from
        handle.write(b"{ ")
    edited = build(basic_site, out)
    assert any(name.endswith("search: pagefind") for name, _ in edited.timings)  # made again, not copied
    assert not (out / "pagefind" / "pagefind-entry.json").read_bytes().startswith(b"{ ")

    entry = basic_site.parent / "content" / "models" / "alpha-captioner.md"
    entry.write_text(entry.read_text("utf-8").replace("Runs on a laptop CPU.", "Runs on a phone."), "utf-8")
    build(basic_site, out)
    assert (out / "pagefind" / "pagefind-entry.json").stat().st_ino != before


def test_no_search_writes_no_index(basic_site: Path, tmp_path: Path) -> None:
    build(basic_site, tmp_path / "out", search=False)
    assert not (tmp_path / "out" / "pagefind").exists()
    assert (tmp_path / "out" / "sitemap.xml").is_file()


@pytest.fixture
def broken_site(basic_site: Path) -> Path:
    entry = basic_site.parent / "content" / "models" / "alpha-captioner.md"
    entry.write_text(entry.read_text("utf-8") + "\nSee [the samples](../missing-page/) and [scores](#nope).\n", "utf-8")
    return basic_site


def test_broken_links_warn_and_fail_under_strict(broken_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = build(broken_site, out, search=False)
    messages = sorted(str(w) for w in result.warnings)
    assert len(messages) == 2 and all(w.severity == "warning" for w in result.warnings)
    assert any("broken link on models/alpha-captioner/index.html: '../missing-page/' no such file in the output "
               "(source: content/models/alpha-captioner.md)" in m for m in messages)
    assert any("'#nope' no element with id 'nope' on models/alpha-captioner/index.html" in m for m in messages)
    assert all(m.startswith("content/models/alpha-captioner.md:") for m in messages)

    before = (out / "index.html").read_bytes()
    with pytest.raises(SiteError) as error:
        build(broken_site, out, search=False, strict=True)
    assert "missing-page" in str(error.value)
    assert (out / "index.html").read_bytes() == before  # the previous site stays


def test_check_command_reports_broken_links(broken_site: Path) -> None:
    result = run_cli("check", "--config", str(broken_site))
    assert result.exit_code == 0
    assert "warning: content/models/alpha-captioner.md:" in result.stderr and "missing-page" in result.stderr
    strict = run_cli("check", "--strict", "--config", str(broken_site))
    assert strict.exit_code == 1 and "missing-page" in strict.stderr


def test_the_site_works_under_a_sub_path(basic_site: Path, tmp_path: Path) -> None:
    result = run_cli("build", "--config", str(basic_site), "-o", str(tmp_path / "out"), "--strict",
                     "--base-url", "https://example.org/sub/path/")
    assert result.exit_code == 0, result.stderr
    page = (tmp_path / "out" / "search/index.html").read_text("utf-8")
    assert 'data-bundle="/sub/path/pagefind/pagefind.js"' in page and 'data-base="/sub/path/"' in page
    assert "https://example.org/sub/path/sitemap.xml" in (tmp_path / "out" / "robots.txt").read_text("utf-8")


def test_link_check_reads_no_page_back_from_disk(basic_site: Path, tmp_path: Path, monkeypatch) -> None:
    """Rendered pages are parsed while their bytes are at hand; the others come from the cache."""
    from unfragile_ssg.post import links

    out = tmp_path / "out"
    build(basic_site, out, search=False)
    read: list[str] = []
    real = links._parse_file
    monkeypatch.setattr(links, "_parse_file", lambda path: read.append(path) or real(path))
    build(basic_site, out, search=False)
    assert read == []
    entry = basic_site.parent / "content" / "prompts" / "beta-prompts.md"
    entry.write_text(entry.read_text("utf-8") + "\nSee [nothing](../nowhere/).\n", "utf-8")
    result = build(basic_site, out, search=False)
    assert read == []
    assert any("'../nowhere/'" in w.message for w in result.warnings)
    shutil.rmtree(basic_site.parent / ".unfragile-cache" / "links")
    assert build(basic_site, out, search=False).warnings == result.warnings  # no cache: read from disk
    assert any(p.endswith("prompts/beta-prompts/index.html") for p in read)
