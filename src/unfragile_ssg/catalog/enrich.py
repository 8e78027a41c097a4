"""The enrich stage: from valid entries to the catalog with scores and comparisons."""

from __future__ import annotations

from ..config import Project
from ..content.validate import Entry
from ..memo import Caches
from .graph import build_graph
from .model import Catalog
from .rank import Scored, score_entries


def build_catalog(project: Project, entries: list[Entry], caches: Caches | None = None) -> Catalog:
    """``caches``, when given, keep what can be reused by the next build: term counts, the
    match graph and scores, each by the fingerprint of what it was computed from."""
    settings = project.settings
    graph = build_graph(entries, settings, caches)
    memo = caches.memo("scores", dict[str, Scored]) if caches is not None else None
    known = (memo.get() if memo is not None else None) or {}
    scoring = score_entries(entries, graph, settings, known)
    if memo is not None:
        memo.put({scoring.inputs[slug]: scored for slug, scored in scoring.scored.items()})
    return Catalog(entries=entries, pairs=graph.pairs, scoring=scoring, tie_margin=settings.scoring.tie_margin, graph=graph)
