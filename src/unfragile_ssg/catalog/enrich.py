"""The enrich stage: from valid entries to the catalog with scores and comparisons."""

from __future__ import annotations

from pathlib import Path

from .. import cachefile
from ..config import Project
from ..content.validate import Entry
from .graph import build_graph
from .model import Catalog
from .rank import Scored, score_entries

SCORES_FORMAT = 2


def build_catalog(project: Project, entries: list[Entry], cache_dir: Path | None = None) -> Catalog:
    """``cache_dir``, when given, keeps what can be reused by the next build: term counts, the
    match graph and scores, each by the fingerprint of what it was computed from."""
    settings = project.settings
    graph = build_graph(entries, settings, cache_dir / f"terms{cachefile.SUFFIX}" if cache_dir else None,
                        cache_dir / f"graph{cachefile.SUFFIX}" if cache_dir else None)
    scores_file = cache_dir / f"scores{cachefile.SUFFIX}" if cache_dir else None
    known = _load_scores(scores_file)
    scoring = score_entries(entries, graph, settings, known)
    if scores_file is not None:
        kept = {scoring.inputs[slug]: scored for slug, scored in scoring.scored.items()}
        if kept != known:
            cachefile.save(scores_file, cachefile.stamp(SCORES_FORMAT), kept)
    return Catalog(entries=entries, pairs=graph.pairs, scoring=scoring, tie_margin=settings.scoring.tie_margin, graph=graph)


def _load_scores(path: Path | None) -> dict[str, Scored]:
    stored = cachefile.load(path, cachefile.stamp(SCORES_FORMAT), dict[str, Scored]) if path is not None else None
    return stored if stored is not None else {}
