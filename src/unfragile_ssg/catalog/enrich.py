"""The enrich stage: from valid entries to the catalog with scores and comparisons."""

from __future__ import annotations

from pathlib import Path

from ..config import Project
from ..content.validate import Entry
from .graph import build_graph
from .model import Catalog
from .rank import score_entries


def build_catalog(project: Project, entries: list[Entry], cache_dir: Path | None = None) -> Catalog:
    """``cache_dir``, when given, keeps what can be reused by the next build (term counts)."""
    settings = project.settings
    graph = build_graph(entries, settings, cache_dir / "terms.pickle" if cache_dir else None)
    scores, breakdowns = score_entries(entries, graph, settings)
    return Catalog(entries=entries, scores=scores, pairs=graph.pairs, breakdowns=breakdowns,
                   tie_margin=settings.scoring.tie_margin, graph=graph)
