"""sitemap.xml, with each page's ``lastmod`` from the git history of the content it shows.

The history is read with one ``git log`` for the whole content folder, never once per file.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

EXCLUDED = ("404.html",)


@dataclass(frozen=True)
class FileDates:
    created: str  # ISO 8601 date-time of the first commit that added the file
    updated: str  # of the last commit that changed it


def git_dates(root: Path, folder: str = "content") -> dict[str, FileDates]:
    """Commit dates of every file under ``root/folder`` with a git history, by path relative to ``root``.

    Empty when ``root`` is not in a git work tree or git is missing: pages then have no date.
    """
    try:
        out = subprocess.run(
            ["git", "-c", "core.quotepath=off", "log", "-z", "--format=%x1e%cI", "--name-only",
             "--no-renames", "--relative", "--", folder],
            cwd=root, capture_output=True, timeout=120, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if out.returncode != 0:
        return {}
    latest: dict[str, str] = {}
    first: dict[str, str] = {}
    for record in out.stdout.decode("utf-8", "replace").split("\x1e"):
        tokens = [t.strip("\n") for t in record.replace("\n", "\0").split("\0")]
        tokens = [t for t in tokens if t]
        if not tokens:
            continue
        date, files = tokens[0], tokens[1:]
        for name in files:
            latest.setdefault(name, date)  # newest commit comes first
            first[name] = date  # ... and the oldest last
    return {name: FileDates(first[name], latest[name]) for name in latest}


def page_lastmod(sources: tuple[str, ...], dates: dict[str, FileDates], newest: str | None) -> str | None:
    """A page's last change: the newest of its content files, or of all content when it shows no one file."""
    if not sources:
        return newest
    known = [dates[s].updated for s in sources if s in dates]
    return max(known) if known else None


def newest_date(dates: dict[str, FileDates]) -> str | None:
    return max((d.updated for d in dates.values()), default=None)


def sitemap_xml(pages, absolute, dates: dict[str, FileDates]) -> str:
    """``pages``: PlannedPage-like objects (path, sources); ``absolute``: path → absolute URL."""
    newest = newest_date(dates)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in sorted(pages, key=lambda p: p.path):
        if page.path in EXCLUDED:
            continue
        lastmod = page_lastmod(tuple(page.sources), dates, newest)
        entry = f"<url><loc>{escape(absolute(page.path))}</loc>"
        if lastmod:
            entry += f"<lastmod>{escape(lastmod)}</lastmod>"
        lines.append(entry + "</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"

