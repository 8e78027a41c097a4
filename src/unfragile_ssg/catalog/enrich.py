"""The enrich stage: from valid entries to the catalog with scores and comparisons."""

from __future__ import annotations

from ..config import Project
from ..content.validate import Entry
from .graph import build_graph
from .model import Catalog
from .rank import score_entries


def build_catalog(project: Project, entries: list[Entry]) -> Catalog:
    settings = project.settings
    graph = build_graph(entries, settings)
    scores, breakdowns = score_entries(entries, graph, settings)
    return Catalog(entries=entries, scores=scores, pairs=graph.pairs, breakdowns=breakdowns,
                   tie_margin=settings.scoring.tie_margin, graph=graph)
