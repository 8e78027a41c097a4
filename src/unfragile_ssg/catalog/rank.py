"""Sub-scores and UnfragileRank from raw signals, with the breakdown that explains each.

Every stored score is a whole number (rounded half up), exactly what the pages show, and
UnfragileRank is computed from the shown sub-scores, so a reader can redo the arithmetic.
"""

from __future__ import annotations

from ..config import Settings
from ..content.validate import Entry
from ..fingerprint import fingerprint
from .graph import MatchGraph
from .model import SUBSCORE_LABELS, SUBSCORES, Breakdown, Scores, SubScoreBreakdown
from .signals import (
    SignalRow,
    benchmark_groups,
    benchmark_key,
    count_rows,
    documentation_row,
    licence_row,
    quality_rows,
    recency_row,
    reference_day,
    round_half_up,
    weighted_mean,
)

READS = {
    "adoption": "How many people use it: monthly downloads, likes and stars, each on a log scale.",
    "quality": (
        "How well it does on published benchmarks, next to the other entries in the catalog that report the "
        "same benchmark and metric (notes in brackets after a benchmark's name are ignored when matching)."
    ),
    "ecosystem": (
        "How much is built on it and how easy it is to build on: forks, contributors, dependents and citations "
        "(log scale), documentation links, the licence, and how recently it was updated or released."
    ),
    "match_graph": (
        "Its place in the match graph: its weighted degree (the similarities of its comparison pages, added up), "
        "0 for an entry with no comparison and 100 for a well-connected one."
    ),
}


def score_entries(entries: list[Entry], graph: MatchGraph, settings: Settings) -> tuple[dict[str, Scores], dict[str, Breakdown]]:
    scoring = settings.scoring
    eco = scoring.ecosystem
    groups = benchmark_groups(entries)
    reference = reference_day(entries, scoring)
    context = fingerprint(scoring.model_dump_json(), settings.match.full_strength, reference)
    group_prints = {key: fingerprint(key, group.title, sorted(group.results.items())) for key, group in groups.items()}
    scores: dict[str, Scores] = {}
    breakdowns: dict[str, Breakdown] = {}
    for entry in entries:
        signals = entry.fields.signals
        rows: dict[str, list[SignalRow]] = {
            "adoption": count_rows(signals, scoring.adoption),
            "quality": quality_rows(entry, groups, scoring.quality.min_reports),
            "ecosystem": count_rows(signals, eco.community) + [documentation_row(entry, eco), licence_row(entry, eco)],
        }
        if reference is not None:
            rows["ecosystem"].append(recency_row(entry, eco, reference))
        values: dict[str, float | None] = {}
        for name, found in rows.items():
            mean = weighted_mean(found)
            values[name] = None if mean is None else round_half_up(mean)
        strength = graph.strength[entry.slug]
        raw = graph.scores[entry.slug]
        values["match_graph"] = round_half_up(raw)
        full = settings.match.full_strength
        rows["match_graph"] = [
            SignalRow("Weighted degree in the match graph", f"{strength:.4f}", raw, 1.0,
                      f"100 × weighted degree ÷ {full:g}, at most 100: 0 without comparisons, 100 at {full:g} or more"),
        ]

        present = [(n, scoring.weights.get(n, 0.0), values[n]) for n in SUBSCORES if values[n] is not None]
        basis = len(present)
        weighted = [(n, w, v) for n, w, v in present if w > 0]
        rank = None
        if basis >= scoring.min_subscores and weighted:
            rank = round_half_up(sum(w * v for _, w, v in weighted) / sum(w for _, w, _ in weighted))  # type: ignore[operator]
        scores[entry.slug] = Scores(rank=rank, **values)  # type: ignore[arg-type]
        # what this loop reads: the entry (its file), the settings, the catalog's reference
        # day, the benchmark groups the entry is in, and its place in the match graph
        inputs = fingerprint(context, entry.slug, entry.digest, strength, raw,
                             sorted({group_prints[benchmark_key(b)] for b in entry.fields.signals.benchmarks}))
        breakdowns[entry.slug] = Breakdown(
            slug=entry.slug,
            version=scoring.version,
            rank=rank,
            basis=basis,
            min_subscores=scoring.min_subscores,
            subscores=tuple(
                SubScoreBreakdown(n, SUBSCORE_LABELS[n], READS[n], values[n], scoring.weights.get(n, 0.0), tuple(rows[n]))
                for n in SUBSCORES
            ),
            inputs=inputs,
        )
    return scores, breakdowns
