"""The enrich stage: from valid entries to the catalog with scores and comparisons."""

from __future__ import annotations

from ..config import Project
from ..content.validate import Entry
from .graph import match_pairs
from .model import Catalog
from .rank import score_entries


def build_catalog(project: Project, entries: list[Entry]) -> Catalog:
    pairs = match_pairs(entries, project.settings)
    scores = score_entries(entries, pairs, project.settings)
    return Catalog(entries=entries, scores=scores, pairs=pairs)
