"""Each entry's term counts (the input of the match graph's TF-IDF), cached between builds.

Counting words is most of the text side of the match graph, and depends on nothing but the
entry file: the cache keys each entry's counts by the file's digest, so a rebuild counts only
the entries that changed. The cache is one pickle, replaced atomically, and rewritten only
when it changed; a missing, damaged or outdated one only costs counting again.
"""

from __future__ import annotations

from pathlib import Path

from .. import cachefile
from ..content.validate import Entry
from .text import TermCounts, entry_text, term_counts

FORMAT = 2


def entry_term_counts(entries: list[Entry], cache: Path | None = None) -> list[TermCounts]:
    """Term counts per entry, in the order of ``entries``."""
    stored = _load(cache) if cache is not None else {}
    counts = [stored.get(entry.digest) for entry in entries]
    missing = [i for i, found in enumerate(counts) if found is None]
    for i in missing:
        counts[i] = term_counts(entry_text(entries[i]))
    if cache is not None and (missing or len(stored) != len(entries)):
        _save(cache, {entry.digest: found for entry, found in zip(entries, counts)})
    return counts  # type: ignore[return-value]


def _load(cache: Path) -> dict[str, TermCounts]:
    stored = cachefile.load(cache, cachefile.stamp(FORMAT))
    return stored if isinstance(stored, dict) else {}


def _save(cache: Path, counts: dict[str, TermCounts]) -> None:
    cachefile.save(cache, cachefile.stamp(FORMAT), counts)
