"""The methodology page's data, taken from the settings and the code that compute the scores.

Nothing here is prose about the numbers that could drift from them: every rule text comes
from the same ``describe`` helpers the breakdowns use, every figure from the settings or the
built catalog, and the worked example is a real entry's breakdown.
"""

from __future__ import annotations

from typing import Any

from ..config import Project
from .model import SUBSCORE_LABELS, SUBSCORES, Catalog
from .rank import READS
from .signals import COUNT_LABELS, LINK_LABELS, describe_log, describe_recency
from .text import STOPWORDS


def example_slug(project: Project, catalog: Catalog) -> str | None:
    """The entry explained step by step: the setting, else the best-evidenced ranked entry."""
    wanted = project.settings.scoring.example
    if wanted and wanted in catalog.by_slug:
        return wanted
    candidates = [e for e in catalog.entries if catalog.scores[e.slug].rank is not None] or catalog.entries
    if not candidates:
        return None

    def key(entry):
        return (-catalog.scores[entry.slug].basis, -catalog.evidence(entry.slug), entry.slug)

    return min(candidates, key=key).slug


def methodology_context(project: Project, catalog: Catalog) -> dict[str, Any]:
    settings = project.settings
    scoring, match = settings.scoring, settings.match
    eco = scoring.ecosystem
    total = sum(scoring.weights.get(n, 0.0) for n in SUBSCORES) or 1.0
    weights = [
        {"name": n, "label": SUBSCORE_LABELS[n], "weight": scoring.weights.get(n, 0.0),
         "share": 100.0 * scoring.weights.get(n, 0.0) / total, "reads": READS[n]}
        for n in SUBSCORES
    ]
    scorer = catalog.scoring.scorer  # the reference day and benchmark groups the scores were computed with
    reference = scorer.reference
    adoption = [{"label": COUNT_LABELS[n], "weight": s.weight, "rule": describe_log(s)} for n, s in scoring.adoption.items()]
    community = [{"label": COUNT_LABELS[n], "weight": s.weight, "rule": describe_log(s)} for n, s in eco.community.items()]
    documentation = [{"label": LINK_LABELS[n], "points": p} for n, p in eco.documentation.items()]
    licences = sorted(eco.licences.items(), key=lambda item: (-item[1], item[0].casefold()))
    groups = [
        {"title": g.title, "entries": len(g.results), "best": f"{g.best:g}", "higher_is_better": g.higher_is_better,
         "leaders": [catalog.by_slug[s] for s in g.leaders], "counts": len(g.results) >= scoring.quality.min_reports,
         "rule": g.rule}
        for g in scorer.groups.values()
    ]
    groups.sort(key=lambda g: (not g["counts"], -g["entries"], g["title"].casefold()))
    graph = catalog.graph
    stats = dict(graph.stats) if graph is not None else {"entries": len(catalog.entries), "pairs": len(catalog.pairs)}
    ranked = sum(1 for s in catalog.scores.values() if s.rank is not None)
    kind_rules = []
    for kind, named in settings.kinds.items():
        applies, needed, noun = scorer.kind_rule(kind)
        weight = sum(scoring.weights.get(n, 0.0) for n in applies) or 1.0
        members = catalog.ranked_members("kind", kind)
        kind_rules.append({
            "kind": kind, "label": named.plural, "noun": noun, "needed": needed, "applying": len(applies),
            "excluded": [SUBSCORE_LABELS[n] for n in SUBSCORES if n not in applies], "quality": "quality" in applies,
            "shares": [100.0 * scoring.weights.get(n, 0.0) / weight if n in applies else None for n in SUBSCORES],
            "entries": len(members), "ranked": catalog.ranked_count(members),
        })
    slug = example_slug(project, catalog)
    example = None
    if slug is not None:
        entry = catalog.by_slug[slug]
        example = {"entry": entry, "path": f"{entry.kind}/{entry.slug}/", "scores": catalog.scores[slug],
                   "breakdown": catalog.breakdown(slug)}
    return {
        "version": scoring.version,
        "weights": weights,
        "weight_total": total,
        "min_subscores": scoring.min_subscores,
        "kind_rules": kind_rules,
        "subscore_labels": [SUBSCORE_LABELS[n] for n in SUBSCORES],
        "tie_margin": scoring.tie_margin,
        "adoption": adoption,
        "quality": {"min_reports": scoring.quality.min_reports, "groups": groups,
                    "counting": sum(1 for g in groups if g["counts"])},
        "ecosystem": {
            "community": community,
            "documentation": documentation,
            "documentation_weight": eco.documentation_weight,
            "licence_weight": eco.licence_weight,
            "licences": licences,
            "recency_weight": eco.recency_weight,
            "half_life_days": eco.half_life_days,
            "recency_rule": describe_recency(eco, reference) if reference else None,
            "reference_day": reference,
            "reference_set": scoring.as_of is not None,
        },
        "match": {
            "neighbours": match.neighbours,
            "threshold": match.threshold,
            "task_weight": match.task_weight,
            "text_weight": 1 - match.task_weight,
            "cross_kind": match.cross_kind,
            "full_strength": match.full_strength,
            "sketch_dims": match.sketch_dims,
            "candidates": match.candidates,
            "exact": graph.exact if graph is not None else True,
            "stopwords": len(STOPWORDS),
        },
        "stats": stats | {"ranked": ranked},
        "example": example,
    }
