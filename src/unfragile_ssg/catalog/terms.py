"""Each entry's term counts (the input of the match graph's TF-IDF), cached between builds.

Counting words is most of the text side of the match graph, and depends on nothing but the
entry file: the cache keys each entry's counts by the file's digest, so a rebuild counts only
the entries that changed. The cache is one pickle, replaced atomically, and rewritten only
when it changed; a missing, damaged or outdated one only costs counting again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import cachefile
from ..content.validate import Entry
from .text import TermCounts, entry_text, term_counts

FORMAT = 3


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
    if not isinstance(stored, tuple) or len(stored) != 4:
        return {}
    digests, lengths, keys, counts = stored
    ends = np.cumsum(lengths)
    return {digest: (keys[end - length : end], counts[end - length : end])
            for digest, length, end in zip(digests, lengths.tolist(), ends.tolist())}


def _save(cache: Path, counts: dict[str, TermCounts]) -> None:
    """All counts in two arrays (and the length of each entry's run): loading 20,000 small arrays
    took ten times as long as loading two."""
    digests = list(counts)
    rows = [counts[d] for d in digests]
    lengths = np.array([len(keys) for keys, _ in rows], dtype=np.int64)
    keys = np.concatenate([keys for keys, _ in rows]) if rows else np.zeros(0, dtype=np.uint64)
    values = np.concatenate([c for _, c in rows]) if rows else np.zeros(0)
    cachefile.save(cache, cachefile.stamp(FORMAT), (digests, lengths, keys, values))
