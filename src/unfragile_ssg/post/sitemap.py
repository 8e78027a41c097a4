"""sitemap.xml, with each page's ``lastmod`` from the git history of the content it shows."""

from __future__ import annotations

from xml.sax.saxutils import escape

from ..content.history import FileDates

EXCLUDED = ("404.html",)


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
        if page.path in EXCLUDED or not page.output.endswith(".html"):  # share cards are images
            continue
        lastmod = page_lastmod(tuple(page.sources), dates, newest)
        entry = f"<url><loc>{escape(absolute(page.path))}</loc>"
        if lastmod:
            entry += f"<lastmod>{escape(lastmod)}</lastmod>"
        lines.append(entry + "</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"

