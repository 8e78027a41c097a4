"""Sub-scores and UnfragileRank from raw signals."""

from __future__ import annotations

from ..config import Settings
from ..content.validate import Entry
from .model import Pair, Scores


def score_entries(entries: list[Entry], pairs: list[Pair], settings: Settings) -> dict[str, Scores]:
    """Not computed yet: every score is missing, shown as "insufficient data"."""
    return {entry.slug: Scores() for entry in entries}
