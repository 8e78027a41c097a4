"""`check` with the cache: it renders only the pages the link cache does not know, and says
exactly what a check from nothing says."""

from __future__ import annotations

import shutil
from pathlib import Path

from unfragile_ssg.config import load_project
from unfragile_ssg.site.build import BuildOptions, build_site, check_site


def check(config: Path, **options):
    return check_site(load_project(config), BuildOptions(**options))


def cold_check(config: Path, tmp_path: Path, name: str):
    """A check with a cache of its own, empty: what an editor sees on a fresh clone."""
    return check(config, cache_dir=tmp_path / name)


def html_pages(config: Path, tmp_path: Path) -> int:
    """How many HTML pages a build of the site writes: what a check from nothing renders (the
    data files and markdown twins have no links to check)."""
    out = tmp_path / "counted"
    build_site(load_project(config), BuildOptions(search=False, output=out, cache_dir=tmp_path / "counted-cache"))
    return sum(1 for _ in out.rglob("*.html"))


def messages(result) -> list[str]:
    return sorted(map(str, result.warnings))


def add_broken_links(config: Path) -> None:
    """A relative link to nowhere and a link to a missing id: two warnings."""
    entry = config.parent / "content" / "models" / "alpha-captioner.md"
    entry.write_text(entry.read_text("utf-8") + "\nSee [the samples](../missing-page/) and [scores](#nope).\n", "utf-8")


def test_a_check_after_a_build_renders_nothing_unchanged(basic_site: Path, tmp_path: Path) -> None:
    add_broken_links(basic_site)
    build_site(load_project(basic_site), BuildOptions(search=False))  # into public/, beside the settings
    warm = check(basic_site)
    assert warm.pages > 10 and warm.stats.rendered == 0 and warm.stats.reused + warm.without_links == warm.pages
    cold = cold_check(basic_site, tmp_path, "cold")
    assert cold.stats.rendered == html_pages(basic_site, tmp_path) < cold.pages
    assert messages(warm) == messages(cold) and len(messages(warm)) == 2


def test_a_second_check_renders_only_what_an_edit_changed(basic_site: Path, tmp_path: Path) -> None:
    add_broken_links(basic_site)
    first = check(basic_site)
    assert first.stats.rendered == html_pages(basic_site, tmp_path) and len(first.warnings) == 2
    entry = basic_site.parent / "content/prompts/beta-prompts.md"
    entry.write_text(entry.read_text("utf-8") + "\nSee [nowhere](/prompts/no-such-entry/).\n", "utf-8")
    second = check(basic_site)
    assert 0 < second.stats.rendered < second.pages
    found = messages(second)
    assert found == messages(cold_check(basic_site, tmp_path, "cold"))
    assert any("broken link on prompts/beta-prompts/index.html: '/prompts/no-such-entry/' no such file" in m for m in found)
    assert len(found) == 3
    third = check(basic_site)
    assert third.stats.rendered == 0 and messages(third) == found


def test_check_runs_on_a_copied_cache(basic_site: Path, tmp_path: Path) -> None:
    """A cache restored into another checkout of the same path (actions/cache) is read."""
    check(basic_site)
    saved = tmp_path / "saved-cache"
    shutil.copytree(basic_site.parent / ".unfragile-cache", saved)
    shutil.rmtree(basic_site.parent / ".unfragile-cache")
    shutil.copytree(saved, basic_site.parent / ".unfragile-cache")
    assert check(basic_site).stats.rendered == 0
