"""The match graph: which entries are compared with which."""

from __future__ import annotations

from ..config import Settings
from ..content.validate import Entry
from .model import Pair


def curated_pairs(entries: list[Entry]) -> list[Pair]:
    """One pair per unordered ``compare_with`` link, in a stable order."""
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        for other in entry.fields.compare_with:
            seen.add(tuple(sorted((entry.slug, other))))
    return [Pair(a, b, weight=1.0, curated=True, reasons=("paired by an editor",)) for a, b in sorted(seen)]


def match_pairs(entries: list[Entry], settings: Settings) -> list[Pair]:
    return curated_pairs(entries)
