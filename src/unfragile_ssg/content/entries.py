"""The content loader: every entry of the site, read, checked and validated, once per change.

The one way entries are loaded (``build``, ``check``, ``serve``, ``captions``): files whose
bytes are unchanged since the last build come from the entry cache (``cache``); the others
are parsed and checked against the schema, in parallel when the caller gives a parallel
``map_items``; then the checks across entries run, and every problem is raised at once.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Callable, Iterable

from ..config import Project
from ..errors import SiteError
from ..memo import Caches
from .cache import EntryCache
from .load import EntryFile, entry_files, read_entry
from .validate import Entry, check_schema, validate_entries, without_text

MapItems = Callable[[Callable, list], Iterable]
Stage = Callable[[str], AbstractContextManager]


def _untimed(_name: str) -> AbstractContextManager:
    return nullcontext()


def load_site_entries(project: Project, caches: Caches | None = None, map_items: MapItems = map,
                      stage: Stage = _untimed, kept: EntryCache | None = None,
                      problems_found: list | None = None) -> tuple[list[Entry], EntryCache | None]:
    """The site's valid entries, and the entry cache to hand the next build in this process
    (``kept``, the one the last build handed on, saves reading the cache back). ``stage`` times
    each step (``stage("load")`` is a context manager). Raises SiteError with every problem,
    unless ``problems_found`` is given: they are added to it, and the valid entries returned."""

    def read_and_check(item: EntryFile):
        raw, problem = read_entry(project, item.kind, item.path)  # read here, not sent: workers share the page cache
        if raw is None:
            return raw, problem, None
        checked = check_schema(raw)
        # once the schema has made fields of it, a valid entry's front matter and text are done
        # with: dropping them halves what crosses from the workers and what the entry cache holds
        return (without_text(raw) if checked[0] is not None and not checked[1] else raw), problem, checked

    with stage("load"):
        files, problems = entry_files(project)
        if caches is None:
            cache = None
        else:
            cache = kept.restart() if kept is not None and kept.caches is caches else EntryCache(caches)
        keys = [cache.file_key(file.display, file.path)[0] for file in files] if cache is not None else []
        results = [_cached(cache, key, file) for key, file in zip(keys, files)] if cache is not None else [None] * len(files)
        misses = [i for i, hit in enumerate(results) if hit is None]
    with stage("load: parse + schema"):
        parsed = map_items(read_and_check, [files[i] for i in misses])
        for i, result in zip(misses, parsed):
            results[i] = result
            raw, problem, checked = result
            # kept when it passed the schema, and was parsed from the bytes its key was made of
            # (a file saved again since it was hashed is parsed anew next time)
            if cache is not None and problem is None and checked is not None and not checked[1] and keys[i].endswith("\0" + raw.digest):
                cache.put(keys[i], result)
        raws = [raw for raw, _, _ in results if raw is not None]
        problems += [problem for _, problem, _ in results if problem is not None]
    with stage("validate: across entries"):
        entries, more = validate_entries(project, raws, [checked for _, _, checked in results if checked is not None], files)
        handed_on = cache.next_build() if cache is not None else None
    problems = sorted(set(problems + more))
    if problems_found is not None:
        problems_found.extend(problems)
    elif problems:
        raise SiteError(problems)
    return entries, handed_on


def _cached(cache: EntryCache, key: str, file: EntryFile):
    """The cached result for ``file``, if it is one for this very file (a cache can be written
    by a pull request, or moved with the site)."""
    found = cache.get(key)
    if found is None:
        return None
    raw = found[0]
    return found if raw.path == file.path and raw.kind == file.kind and raw.slug == file.path.stem else None
