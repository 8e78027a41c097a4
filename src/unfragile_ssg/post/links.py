"""The link check: every href, src and srcset of the output resolves, and every #fragment exists.

A link is fine when it is external (http, https, protocol-relative, mailto, tel, data) or when
it names a file of the output under the site's base path (``/sub/path/models/x/`` →
``models/x/index.html``) and, if it has a fragment, that page has an element with that id.
Pages are read with one regular expression each (our templates and markdown-it both quote
attributes with double quotes), across worker processes when there are many of them.
"""

from __future__ import annotations

import hashlib
import html
import multiprocessing
import os
import posixpath
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from urllib.parse import unquote, urlsplit

from ..memo import CacheLayout, Caches, Memo
from ..errors import Problem
from ..site.write import list_files

# one pass finds both links and anchors; attribute values are double or single quoted. Names are
# matched in lower case, as our templates and markdown-it write them (case-folding costs 2x).
# The pattern starts with a literal space, which the regex engine skips to far faster than to
# any whitespace (2.5x); the page is searched with its other whitespace turned into spaces.
_ATTRIBUTE = re.compile(rb""" (href|src|srcset|id|name)=(?:"([^"]*)"|'([^']*)')""")
_WHITESPACE_AS_SPACES = bytes.maketrans(b"\t\n\r\f", b"    ")
_TAG_WITH_NAME = re.compile(rb"<(a|map)\b", re.IGNORECASE)
_EXTERNAL_SCHEMES = ("http:", "https:", "//")
_SKIPPED_SCHEMES = ("mailto:", "tel:", "data:", "blob:", "about:")
PARALLEL_PAGES = 2000  # below this, starting worker processes costs more than it saves
MAX_REPORTED_PAGES = 3  # per broken external link


class PageLinks:
    """The links (unique, in order of appearance) and the ids of one page.

    Kept as two newline-joined strings until read, and read anew each time rather than kept
    as lists and sets: five times quicker to store and load, a rebuild never reads most
    pages' links, and a cold build's 46,000 pages' lists and sets weighed 100 MB."""

    def __init__(self, links: list[str] | None = None, ids: set[str] | None = None, *,
                 packed: tuple[str, str] | None = None):
        self._links = links if links is not None or packed is not None else []
        self._ids = ids if ids is not None or packed is not None else set()
        self._packed = packed

    @property
    def links(self) -> list[str]:
        if self._links is not None:
            return self._links
        text = self._packed[0]  # type: ignore[index]
        return text.split("\n") if text else []

    @property
    def ids(self) -> set[str]:
        if self._ids is not None:
            return self._ids
        text = self._packed[1]  # type: ignore[index]
        return set(text.split("\n")) if text else set()

    def packed(self) -> tuple[str, str]:
        if self._packed is None:
            self._packed = "\n".join(self.links), "\n".join(sorted(self.ids))
        return self._packed

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PageLinks) and self.links == other.links and self.ids == other.ids

    def __repr__(self) -> str:
        return f"PageLinks(links={self.links!r}, ids={self.ids!r})"


def packed_links(data: bytes) -> tuple[str, str]:
    """The links and ids of a page, packed (for pages parsed as they are rendered)."""
    return parse_page(data).packed()


def parse_page(data: bytes) -> PageLinks:
    """The links (href, src, each srcset candidate) and the ids of one HTML page."""
    found = PageLinks()
    seen: set[str] = set()
    for match in _ATTRIBUTE.finditer(data.translate(_WHITESPACE_AS_SPACES)):
        name = match.group(1)
        quoted = 2 if match.group(2) is not None else 3
        raw = data[match.start(quoted) : match.end(quoted)]  # as written, whitespace included
        value = html.unescape(raw.decode("utf-8", "replace")) if b"&" in raw else raw.decode("utf-8", "replace")
        if name in (b"id", b"name"):
            if name == b"id" or _names_anchor(data, match.start()):
                found.ids.add(value)
            continue
        values = _srcset(value) if name == b"srcset" else [value.strip()]
        for link in values:
            if link and link not in seen:
                seen.add(link)
                found.links.append(link)
    return found


def _names_anchor(data: bytes, position: int) -> bool:
    """True when a ``name`` attribute belongs to an <a> (an old-style anchor), not a <meta>."""
    start = data.rfind(b"<", 0, position)
    return bool(_TAG_WITH_NAME.match(data, start))


def _srcset(value: str) -> list[str]:
    return [candidate.strip().split()[0] for candidate in value.split(",") if candidate.strip()]


def _parse_file(path: str) -> tuple[str, PageLinks]:
    with open(path, "rb") as handle:
        return path, parse_page(handle.read())


def _parse_chunk(paths: list[str]) -> list[tuple[str, PageLinks]]:
    return [_parse_file(path) for path in paths]


def html_files(folder: Path) -> list[str]:
    """Every HTML page under ``folder``, by path relative to it ('models/x/index.html'),
    outside hidden folders and the search index."""
    found = []
    for path in list_files(folder):
        *folders, name = path.split("/")
        if name.endswith(".html") and folders[:1] != ["pagefind"] and not any(f.startswith(".") for f in folders):
            found.append(path)
    return found


def parse_site(folder: Path, jobs: int = 0, known: dict[str, PageLinks] | None = None,
               pages: list[str] | None = None) -> dict[str, PageLinks]:
    """The links and ids of ``pages`` (relative paths, 'models/x/index.html'; by default every
    HTML file under ``folder``). Pages in ``known`` (parsed by an earlier build, and unchanged
    since) are not read again."""
    root = str(folder)
    prefix = len(root) + 1
    known = known or {}
    files, reused = [], {}
    for relative in html_files(folder) if pages is None else pages:
        if relative in known:
            reused[relative] = known[relative]
        else:
            files.append(os.path.join(root, relative))
    files.sort()
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and len(files) >= PARALLEL_PAGES and "fork" in multiprocessing.get_all_start_methods():
        size = max(200, len(files) // (jobs * 4))
        chunks = [files[i : i + size] for i in range(0, len(files), size)]
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            parsed = [item for part in pool.map(_parse_chunk, chunks) for item in part]
    else:
        parsed = _parse_chunk(files)
    reused.update((path[prefix:].replace(os.sep, "/"), links) for path, links in parsed)
    return dict(sorted(reused.items()))


@dataclass
class LinkCache:
    """What the previous build learnt: each page's links and ids (by its fingerprint), and
    the verdicts on absolute links, which hold as long as the folder has the same files."""

    # page: (key, links, ids, the pages it depends on if it was clean, else None)
    pages: dict[str, tuple[str, str, str, tuple[str, ...] | None]] = field(default_factory=dict)
    files: str = ""  # digest of the base path and the folder's file names
    verdicts: dict[str, str] = field(default_factory=dict)  # absolute link without fragment: '' or why broken

    def parsed(self, keys: dict[str, str]) -> dict[str, PageLinks]:
        """The pages whose fingerprint is unchanged, as parsed then."""
        return {page: PageLinks(packed=(links, ids)) for page, (key, links, ids, _) in self.pages.items() if keys.get(page) == key}

    def still_clean(self, keys: dict[str, str]) -> dict[str, tuple[str, ...]]:
        """The pages that were clean (see ``_resolve``) and are unchanged, as are the pages they depend on."""
        unchanged = {page for page, (key, *_) in self.pages.items() if keys.get(page) == key}
        return {page: depends for page, (_, _, _, depends) in self.pages.items()
                if depends is not None and page in unchanged and unchanged.issuperset(depends)}


def link_memo(caches: Caches, folder: Path) -> Memo:
    """One cache of parsed pages per output folder (the staging folder is named after it)."""
    return caches.memo(CacheLayout.of_folder("links", folder), LinkCache)


def load_cache(cache: Memo | None) -> LinkCache:
    stored = cache.get() if cache is not None else None
    return stored if stored is not None else LinkCache()  # a missing, damaged or misshapen cache only costs a full parse


def save_cache(cache: Memo | None, keys: dict[str, str], pages: dict[str, PageLinks], files: str, verdicts: dict[str, str],
               clean: dict[str, tuple[str, ...]]) -> None:
    if cache is None:
        return
    data = LinkCache(
        pages={page: (keys[page], *links.packed(), clean.get(page)) for page, links in pages.items() if page in keys},
        files=files, verdicts=verdicts,
    )
    cache.put(data)


@dataclass(frozen=True)
class BrokenLink:
    page: str  # output file, e.g. 'models/x/index.html'
    link: str
    reason: str


class Resolver:
    """Resolves links of pages against the set of output files."""

    def __init__(self, folder: Path | None, base_path: str, pages: dict[str, PageLinks], files: Iterable[str] = ()):
        """Files exist when ``folder`` holds them, or when they are in ``files`` (all of them,
        when there is no folder)."""
        self.folder = folder
        self.base_path = base_path if base_path.endswith("/") else base_path + "/"
        self.pages = pages
        self._exists: dict[str, bool] = dict.fromkeys(files, True)
        self._ids: dict[str, set[str]] = {}  # of the pages fragment links go into: few, each read often

    def file_exists(self, relative: str) -> bool:
        known = self._exists.get(relative)
        if known is None:
            known = relative in self.pages or (self.folder is not None and (self.folder / relative).is_file())
            self._exists[relative] = known
        return known

    def target(self, page: str, path: str) -> tuple[str | None, str]:
        """The output file a link's path names, or None and why not."""
        if path.startswith("/"):
            absolute = path
        else:
            page_url = self.base_path + (page[: -len("index.html")] if page.endswith("index.html") else page)
            absolute = posixpath.join(posixpath.dirname(page_url) + "/", path)
        absolute = unquote(absolute)
        trailing = absolute.endswith("/") or absolute.endswith("/.") or absolute.endswith("/..")
        absolute = posixpath.normpath(absolute)
        absolute = absolute + "/" if trailing and not absolute.endswith("/") else absolute
        if not (absolute + "/").startswith(self.base_path):
            return None, f"points outside the site's base path {self.base_path}"
        relative = posixpath.normpath(absolute[len(self.base_path) :]) if absolute[len(self.base_path) :] else ""
        if relative in (".", ""):
            relative = ""
        if relative.startswith("../"):
            return None, "points above the site's root"
        candidates = [relative + "/index.html"] if absolute.endswith("/") or relative == "" else [relative, relative + "/index.html"]
        candidates = [c.lstrip("/") for c in candidates]
        for candidate in candidates:
            if self.file_exists(candidate):
                return candidate, ""
        return None, "no such file in the output"

    def ids_of(self, page: str) -> set[str]:
        found = self._ids.get(page)
        if found is None:
            found = self._ids[page] = self.pages[page].ids
        return found

    def check(self, page: str, link: str) -> str:
        """'' when the link is fine, else the reason it is broken."""
        return self.follow(page, link)[0]

    def follow(self, page: str, link: str) -> tuple[str, str | None]:
        """Why the link is broken ('' when it is fine), and the page whose ids it depends on
        (when it has a fragment)."""
        lowered = link.lower()
        if lowered.startswith(_EXTERNAL_SCHEMES) or lowered.startswith(_SKIPPED_SCHEMES):
            return "", None
        if lowered.startswith("javascript:"):
            return "uses a javascript: URL", None
        parts = urlsplit(link)
        if parts.scheme:
            return f"unknown scheme '{parts.scheme}:'", None
        if parts.path == "":
            target = page
        else:
            target, why = self.target(page, parts.path)
            if target is None:
                return why, None
        if parts.fragment and target.endswith(".html"):
            fragment = unquote(parts.fragment)
            if target in self.pages and fragment not in self.ids_of(target) and fragment != "top":
                return f"no element with id '{fragment}' on {target}", target
            return "", target
        return "", None


def find_broken(folder: Path, base_path: str, pages: dict[str, PageLinks] | None = None,
                verdicts: dict[str, str] | None = None) -> list[BrokenLink]:
    """Every broken link of ``pages``. ``verdicts`` (absolute link without fragment: '' or
    why it is broken) is used and filled in: such links resolve the same from every page."""
    pages = parse_site(folder) if pages is None else pages
    return _resolve(Resolver(folder, base_path, pages), {} if verdicts is None else verdicts)[0]


def _resolve(resolver: "Resolver", verdicts: dict[str, str], skip: dict[str, tuple[str, ...]] | None = None
             ) -> tuple[list[BrokenLink], dict[str, tuple[str, ...]]]:
    """The broken links of every page not in ``skip``, and the pages found *clean*, with the
    pages they depend on. A page is clean when every link is fine and goes to another site,
    to a part of the page, to an absolute path, or to a part of another page (on which it
    then depends). While a clean page, its dependencies and the folder's files are all
    unchanged, its verdict holds (absolute links keep theirs), so a rebuild skips it."""
    pages = resolver.pages
    broken: list[BrokenLink] = []
    clean: dict[str, tuple[str, ...]] = {}
    skip = skip or {}
    for page in sorted(pages):
        if page in skip:
            clean[page] = skip[page]
            continue
        ids = pages[page].ids
        page_is_clean = True
        depends: set[str] = set()
        for link in pages[page].links:
            if link[:1] == "#" and (link[1:] in ids or link == "#top"):  # the commonest link: to a part of its own page
                continue
            cacheable = link.startswith("/") and "#" not in link
            reason = verdicts.get(link) if cacheable else None
            target = None
            if reason is None:
                reason, target = resolver.follow(page, link)
                if cacheable:
                    verdicts[link] = reason
            if reason:
                broken.append(BrokenLink(page, link, reason))
                page_is_clean = False
            elif target is not None and link[:1] == "/":
                depends.add(target)
            elif not (cacheable or link.lower().startswith(_EXTERNAL_SCHEMES + _SKIPPED_SCHEMES)):
                page_is_clean = False  # a relative link: resolved again each time
        if page_is_clean:
            clean[page] = tuple(sorted(depends))
    return broken, clean


def external_links(pages: dict[str, PageLinks]) -> dict[str, list[str]]:
    """Every http(s) link, with the pages that have it."""
    found: dict[str, list[str]] = {}
    for page in sorted(pages):
        for link in pages[page].links:
            lowered = link.lower()
            if lowered.startswith(("http://", "https://")):
                found.setdefault(link.split("#", 1)[0], []).append(page)
    return found


def check_external(urls: list[str], timeout: float = 10.0, workers: int = 16) -> dict[str, str]:
    """The URLs that do not answer with a success, and why (HEAD first, then GET)."""
    import urllib.error
    import urllib.request

    def probe(url: str) -> tuple[str, str]:
        headers = {"User-Agent": "unfragile-link-check/1 (+https://github.com/unfragile)"}
        last = ""
        for method in ("HEAD", "GET"):
            try:
                request = urllib.request.Request(url, method=method, headers=headers)
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    if response.status < 400:
                        return url, ""
                    last = f"HTTP {response.status}"
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code}"
                if error.code not in (403, 405, 501):  # some servers refuse HEAD only
                    break
            except (urllib.error.URLError, OSError, ValueError) as error:
                last = str(getattr(error, "reason", error))
                break
        return url, last

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return {url: why for url, why in pool.map(probe, urls) if why}


def _line_of(source_text: str | None, link: str) -> tuple[int, int]:
    if not source_text:
        return 0, 0
    index = source_text.find(link)
    if index < 0:
        return 0, 0
    line = source_text.count("\n", 0, index) + 1
    return line, index - (source_text.rfind("\n", 0, index) + 1) + 1


def check_links(
    folder: Path | None,
    base_path: str,
    sources: dict[str, tuple[str, ...]],
    root: Path | None = None,
    strict: bool = False,
    external: bool = False,
    jobs: int = 0,
    cache: Memo | None = None,
    keys: dict[str, str] | None = None,
    html: list[str] | None = None,
    files: list[str] | None = None,
    fresh: dict[str, PageLinks] | None = None,
    stored: LinkCache | None = None,
) -> tuple[list[Problem], dict[str, float]]:
    """Problems for broken links, and timings; ``sources`` maps output files to content files.

    ``html`` names the pages to check (default: every HTML file in ``folder``). With a
    ``cache`` file and the pages' fingerprints (``keys``: output file → PlannedPage.key),
    only pages that changed since the previous build are parsed, and when ``files`` (every
    file of the folder) is as it was, absolute links keep the verdicts they had. Pages in
    ``fresh`` were parsed as they were rendered."""
    started = time.perf_counter()
    keys = keys or {}
    stored = stored if stored is not None else load_cache(cache)
    known = stored.parsed(keys)
    if folder is not None:
        pages = parse_site(folder, jobs, {**known, **(fresh or {})}, html)
    else:  # no folder to read pages from: they were all parsed as rendered, or before
        pages = dict(sorted({**known, **(fresh or {})}.items()))
    # what an absolute link's verdict depends on: the files there are, and the base path
    names = hashlib.blake2b("\n".join([base_path, *sorted(files)]).encode(), digest_size=16).hexdigest() if files is not None else ""
    same_files = bool(names) and names == stored.files
    verdicts = dict(stored.verdicts) if same_files else {}
    parsed = time.perf_counter()
    skip = stored.still_clean(keys) if same_files else {}
    broken, clean = _resolve(Resolver(folder, base_path, pages, files if folder is None else ()), verdicts, skip)
    if len(known) != len(stored.pages) or len(pages) != len(known) or not same_files:
        save_cache(cache, keys, pages, names, verdicts, clean)  # else the cache already says all of this
    severity = "error" if strict else "warning"
    problems = []
    texts: dict[str, str | None] = {}
    for item in broken:
        content = sources.get(item.page, ())
        problems.append(_problem(item.page, item.link, item.reason, content, root, texts, severity))
    timings = {"links: parse": parsed - started, "links: resolve": time.perf_counter() - parsed}
    if external:
        begun = time.perf_counter()
        found = external_links(pages)
        failures = check_external(sorted(found))
        for url, why in sorted(failures.items()):
            shown = found[url][:MAX_REPORTED_PAGES]
            for page in shown:
                problems.append(_problem(page, url, f"external link failed: {why}", sources.get(page, ()), root, texts, severity))
        timings["links: external"] = time.perf_counter() - begun
    return problems, timings


def _problem(page, link, reason, content, root, texts, severity) -> Problem:
    """Named after the content file that has the link (the first source when none has it)."""
    where = f" (source: {', '.join(content)})" if content else ""
    source, line, col = (content[0] if content else None), 0, 0
    if root is not None:
        for candidate in content:
            if candidate not in texts:
                try:
                    texts[candidate] = (root / candidate).read_text("utf-8")
                except (OSError, UnicodeDecodeError):
                    texts[candidate] = None
            found = _line_of(texts[candidate], link)
            if found[0]:
                source, (line, col) = candidate, found
                break
    return Problem(source or page, line, col, f"broken link on {page}: '{link}' {reason}{where}", severity=severity)
