"""robots.txt: allow everything and point at the sitemap."""

from __future__ import annotations


def robots_txt(sitemap_url: str) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n"
