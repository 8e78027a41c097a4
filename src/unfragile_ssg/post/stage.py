"""Run the post-processing steps over a rendered (staging) folder.

In order: sitemap.xml, robots.txt and the Atom feed (so that links to them resolve), the
link check over every page, then the Pagefind search index.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..content.history import git_dates
from ..errors import Problem, SiteError
from ..memo import Caches, Memo
from ..pages.urls import entry_path
from .feed import FEED_PATH, atom_feed
from .links import LinkCache, PageLinks, check_links, link_memo
from .robots import robots_txt
from .search import build_search_index
from .sitemap import sitemap_xml

SITEMAP_PATH = "sitemap.xml"
ROBOTS_PATH = "robots.txt"


@dataclass
class PostInput:
    project: object
    context: object  # render.context.SiteContext
    pages: list  # pages.plan.PlannedPage
    folder: Path | None  # the staging folder, complete but not yet published (None: check, which writes no page)
    strict: bool = False
    external_links: bool = False
    search: bool = True
    caches: Caches | None = None  # default: the project's cache folder
    changed: int = 0  # pages rendered (not reused) in this build
    static: tuple[str, ...] = ()  # the other files copied into the folder, relative to it
    page_links: dict[str, tuple[str, str]] = field(default_factory=dict)  # pages parsed as rendered: PageLinks.packed()
    warnings: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # filled in: seconds per step


def content_dates(post: PostInput) -> dict:
    """Git dates of the content files: the ones the render stage used, else read now (one git log)."""
    dates = getattr(post.context, "updated", None)
    return dates if dates is not None else git_dates(post.project.root)


def write_new(path: Path, text: str) -> None:
    """A new file, never written through the one the staging folder holds (see site.write)."""
    path.unlink(missing_ok=True)
    path.write_text(text, "utf-8")


def post_process(post: PostInput) -> list[Problem]:
    """Warnings found after rendering; raises SiteError when the build must fail."""
    project, folder = post.project, post.folder
    settings = project.settings
    linker = post.context.linker
    started = time.perf_counter()
    dates = content_dates(post)

    write_new(folder / SITEMAP_PATH, sitemap_xml(post.pages, linker.absolute, dates))
    write_new(folder / ROBOTS_PATH, robots_txt(linker.absolute(SITEMAP_PATH)))
    entries = post.context.catalog.entries
    write_new(folder / FEED_PATH, atom_feed(settings, entries, lambda e: entry_path(e.kind, e.slug), linker.absolute, dates))
    post.timings["sitemap, robots, feed"] = time.perf_counter() - started

    problems = check_page_links(post, link_memo(post.caches or Caches(project.cache_dir), folder))
    if post.strict and problems:
        raise SiteError(problems)

    if post.search:
        build_search_index(folder, post.pages, post.timings)
    return problems


def check_page_links(post: PostInput, cache: Memo, stored: LinkCache | None = None) -> list[Problem]:
    """The link check of the planned pages, the static files and the files written beside them
    (sitemap, robots.txt, feed), with the link cache ``cache``. Without a folder (``check``,
    which writes no page), every HTML page must be in ``post.page_links`` or in the cache
    (``stored``, when it has been read already)."""
    project = post.project
    sources = {page.output: tuple(page.sources) for page in post.pages if page.sources}
    keys = {page.output: page.key for page in post.pages}
    html = [name for name in [*keys, *post.static] if name.endswith(".html")]  # all the folder holds, unwalked
    problems, link_timings = check_links(
        post.folder, project.settings.base_path, sources, root=project.root, strict=post.strict,
        external=post.external_links, cache=cache, keys=keys, html=html,
        files=[*keys, *post.static, SITEMAP_PATH, ROBOTS_PATH, FEED_PATH],
        fresh={page: PageLinks(packed=packed) for page, packed in post.page_links.items()}, stored=stored,
    )
    post.timings.update(link_timings)
    return problems
