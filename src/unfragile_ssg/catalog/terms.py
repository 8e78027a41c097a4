"""Each entry's term counts (the input of the match graph's TF-IDF), cached between builds.

Counting words is most of the text side of the match graph, and depends on nothing but the
entry file: the cache keys each entry's counts by the file's digest, so a rebuild counts only
the entries that changed. The cache is one memo (``memo``: ``terms`` in the cache layout),
rewritten only when it changed; a missing, damaged, outdated or inconsistent one only costs
counting again.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..content.validate import Entry
from ..memo import Caches
from .text import TermCounts, entry_text, term_counts


class StoredCounts(NamedTuple):
    """Every entry's counts as the cache holds them: the arrays' bytes (little-endian)."""

    digests: list[str]
    lengths: bytes  # int64: how many terms each entry has
    keys: bytes  # uint64, all entries' runs one after the other
    values: bytes  # float64, as ``keys``


def entry_term_counts(entries: list[Entry], caches: Caches | None = None) -> list[TermCounts]:
    """Term counts per entry, in the order of ``entries``."""
    memo = caches.memo("terms", StoredCounts) if caches is not None else None
    stored = _unpack(memo.get()) if memo is not None else {}
    counts = [stored.get(entry.digest) for entry in entries]
    missing = [i for i, found in enumerate(counts) if found is None]
    for i in missing:
        counts[i] = term_counts(entry_text(entries[i]))
    if memo is not None and (missing or len(stored) != len(entries)):
        memo.put(_pack({entry.digest: found for entry, found in zip(entries, counts)}))
    return counts  # type: ignore[return-value]


def _unpack(stored: StoredCounts | None) -> dict[str, TermCounts]:
    if stored is None:
        return {}
    try:
        lengths = np.frombuffer(stored.lengths, dtype="<i8")
        keys = np.frombuffer(stored.keys, dtype="<u8")
        counts = np.frombuffer(stored.values, dtype="<f8")
    except ValueError:  # not a whole number of items
        return {}
    if len(lengths) != len(stored.digests) or (lengths < 0).any() or int(lengths.sum()) != len(keys) or len(keys) != len(counts):
        return {}
    digests = stored.digests
    keys, counts = keys.astype(np.uint64), counts.astype(np.float64)  # native order, and writable
    ends = np.cumsum(lengths)
    return {digest: (keys[end - length : end], counts[end - length : end])
            for digest, length, end in zip(digests, lengths.tolist(), ends.tolist())}


def _pack(counts: dict[str, TermCounts]) -> StoredCounts:
    """All counts in two arrays (and the length of each entry's run): loading 20,000 small arrays
    took ten times as long as loading two."""
    digests = list(counts)
    rows = [counts[d] for d in digests]
    lengths = np.array([len(keys) for keys, _ in rows], dtype=np.int64)
    keys = np.concatenate([keys for keys, _ in rows]) if rows else np.zeros(0, dtype=np.uint64)
    values = np.concatenate([c for _, c in rows]) if rows else np.zeros(0)
    return StoredCounts(digests, lengths.astype("<i8").tobytes(), keys.astype("<u8").tobytes(), values.astype("<f8").tobytes())
