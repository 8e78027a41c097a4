"""sitemap.xml with git dates (one git log), robots.txt, and the Atom feed."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from unfragile_ssg.config import load_project
from unfragile_ssg.content import history as history_module
from unfragile_ssg.content.history import FileDates, git_dates
from unfragile_ssg.site.build import BuildOptions, build_site

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "a": "http://www.w3.org/2005/Atom"}
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(root: Path, *args: str, date: str | None = None) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin", "HOME": str(root)}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env)


@pytest.fixture
def site_in_git(basic_site: Path) -> Path:
    """The basic site in a git repository, one folder down, with two dated commits."""
    root = basic_site.parent
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first", date="2026-01-02T03:04:05+00:00")
    entry = root / "content" / "models" / "alpha-captioner.md"
    entry.write_text(entry.read_text("utf-8").replace("Writes one sentence", "Writes a sentence"), "utf-8")
    git(root, "commit", "-q", "-am", "second", date="2026-03-04T05:06:07+00:00")
    return basic_site


@needs_git
def test_git_dates_read_with_one_git_log(site_in_git: Path, monkeypatch) -> None:
    calls = []
    real = subprocess.run
    monkeypatch.setattr(history_module.subprocess, "run", lambda *a, **k: calls.append(a) or real(*a, **k))
    dates = git_dates(site_in_git.parent)
    assert len(calls) == 1
    assert dates["content/models/alpha-captioner.md"] == FileDates("2026-01-02T03:04:05+00:00", "2026-03-04T05:06:07+00:00")
    assert dates["content/prompts/beta-prompts.md"] == FileDates("2026-01-02T03:04:05+00:00", "2026-01-02T03:04:05+00:00")


@needs_git
def test_a_new_commit_date_rerenders_the_page_that_shows_it(site_in_git: Path, tmp_path: Path) -> None:
    """The bytes of the entry file stay the same; only its "Last updated" date moves."""
    project = load_project(site_in_git)
    options = dict(output=tmp_path / "out", cache_dir=tmp_path / "cache", search=False, captions=False)
    build_site(project, BuildOptions(**options))
    page = tmp_path / "out" / "models" / "alpha-captioner" / "index.html"
    assert 'datetime="2026-03-04T05:06:07+00:00"' in page.read_text("utf-8")

    git(site_in_git.parent, "commit", "-q", "--amend", "--no-edit", "--reset-author", date="2026-05-06T07:08:09+00:00")
    result = build_site(project, BuildOptions(**options))
    assert 'datetime="2026-05-06T07:08:09+00:00"' in page.read_text("utf-8")
    assert result.stats.rendered < result.pages  # pages that show no date of this file were reused


def test_outside_git_there_are_no_dates(tmp_path: Path) -> None:
    assert git_dates(tmp_path) == {}


@needs_git
def test_sitemap_robots_feed_and_last_updated(site_in_git: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(load_project(site_in_git), BuildOptions(output=out, search=False))
    urls = ET.parse(out / "sitemap.xml").getroot().findall("s:url", NS)
    lastmod = {u.find("s:loc", NS).text: getattr(u.find("s:lastmod", NS), "text", None) for u in urls}
    assert "https://fixture.example/404.html" not in lastmod
    assert lastmod["https://fixture.example/models/alpha-captioner/"] == "2026-03-04T05:06:07+00:00"
    assert lastmod["https://fixture.example/prompts/beta-prompts/"] == "2026-01-02T03:04:05+00:00"
    assert lastmod["https://fixture.example/compare/alpha-captioner-vs-beta-prompts/"] == "2026-03-04T05:06:07+00:00"
    assert lastmod["https://fixture.example/"] == "2026-03-04T05:06:07+00:00"  # shows every entry
    assert "https://fixture.example/search/" in lastmod

    robots = (out / "robots.txt").read_text("utf-8")
    assert "Sitemap: https://fixture.example/sitemap.xml" in robots

    feed = ET.parse(out / "feed.xml").getroot()
    assert feed.find("a:updated", NS).text == "2026-03-04T05:06:07+00:00"
    entries = feed.findall("a:entry", NS)
    titles = [e.find("a:title", NS).text for e in entries]
    assert titles[0] == "Alpha Captioner" and "Beta Prompts" in titles  # newest first
    assert entries[0].find("a:published", NS).text == "2026-01-02T03:04:05+00:00"
    assert entries[0].find("a:link", NS).get("href") == "https://fixture.example/models/alpha-captioner/"

    page = (out / "models/alpha-captioner/index.html").read_text("utf-8")
    assert 'Last updated <time datetime="2026-03-04T05:06:07+00:00">2026-03-04</time>' in page
    assert 'href="https://github.com/example/fixture/edit/main/content/models/alpha-captioner.md"' in page
    assert '"dateModified": "2026-03-04T05:06:07+00:00"' in page


def test_feed_without_git_falls_back_to_signal_dates(basic_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(load_project(basic_site), BuildOptions(output=out, search=False))
    feed = ET.parse(out / "feed.xml").getroot()
    titles = [e.find("a:title", NS).text for e in feed.findall("a:entry", NS)]
    assert "Alpha Captioner" in titles  # dated by its 'released' signal
    assert feed.find("a:updated", NS).text.startswith("20")
    assert "Last updated" not in (out / "models/alpha-captioner/index.html").read_text("utf-8")
