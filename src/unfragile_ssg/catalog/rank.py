"""Sub-scores and UnfragileRank from raw signals, with the breakdown that explains each.

Every stored score is a whole number (rounded half up), exactly what the pages show, and
UnfragileRank is computed from the shown sub-scores, so a reader can redo the arithmetic.
"""

from __future__ import annotations

from ..config import Settings
from ..content.validate import Entry
from .graph import MatchGraph
from .model import SUBSCORE_LABELS, SUBSCORES, Breakdown, Scores, SubScoreBreakdown
from .signals import (
    SignalRow,
    benchmark_groups,
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


def _num(value: float) -> str:
    """A score in a formula: up to two decimals."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _w(value: float) -> str:
    return f"{value:g}"


def mean_formula(rows: list[SignalRow], score: float | None) -> str:
    counted = [r for r in rows if r.counted]
    if score is None or not counted:
        return "no signal to score: insufficient data"
    if len(counted) == 1:
        return f"one signal: {counted[0].score_text}, shown as {score:.0f}"
    top = " + ".join(f"{_w(r.weight)} × {r.score_text}" for r in counted)
    bottom = " + ".join(_w(r.weight) for r in counted)
    exact = sum(r.weight * r.score for r in counted) / sum(r.weight for r in counted)
    return f"({top}) ÷ ({bottom}) = {_num(exact)}, shown as {score:.0f}"


def rank_formula(parts: list[tuple[str, float, float]], rank: float | None, basis: int, minimum: int) -> str:
    if rank is None:
        if basis < minimum:
            return f"rests on {basis} of 4 sub-scores; UnfragileRank needs at least {minimum}: insufficient data"
        return "the sub-scores that exist all have weight 0: insufficient data"
    top = " + ".join(f"{_w(w)} × {s:.0f}" for _, w, s in parts)
    bottom = " + ".join(_w(w) for _, w, _ in parts)
    exact = sum(w * s for _, w, s in parts) / sum(w for _, w, _ in parts)
    return f"({top}) ÷ ({bottom}) = {_num(exact)}, shown as {rank:.0f}"


def score_entries(entries: list[Entry], graph: MatchGraph, settings: Settings) -> tuple[dict[str, Scores], dict[str, Breakdown]]:
    scoring = settings.scoring
    eco = scoring.ecosystem
    groups = benchmark_groups(entries)
    reference = reference_day(entries, scoring)
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
        formulas: dict[str, str] = {}
        for name, found in rows.items():
            mean = weighted_mean(found)
            values[name] = None if mean is None else round_half_up(mean)
            formulas[name] = mean_formula(found, values[name])
        strength = graph.strength[entry.slug]
        raw = graph.scores[entry.slug]
        values["match_graph"] = round_half_up(raw)
        full = settings.match.full_strength
        rows["match_graph"] = [
            SignalRow("Weighted degree in the match graph", f"{strength:.4f}", raw, 1.0,
                      f"100 × weighted degree ÷ {full:g}, at most 100: 0 without comparisons, 100 at {full:g} or more"),
        ]
        formulas["match_graph"] = f"one signal: {_num(raw)}, shown as {values['match_graph']:.0f}"

        present = [(n, scoring.weights.get(n, 0.0), values[n]) for n in SUBSCORES if values[n] is not None]
        basis = len(present)
        weighted = [(n, w, v) for n, w, v in present if w > 0]
        rank = None
        if basis >= scoring.min_subscores and weighted:
            rank = round_half_up(sum(w * v for _, w, v in weighted) / sum(w for _, w, _ in weighted))  # type: ignore[operator]
        scores[entry.slug] = Scores(rank=rank, **values)  # type: ignore[arg-type]
        breakdowns[entry.slug] = Breakdown(
            slug=entry.slug,
            version=scoring.version,
            rank=rank,
            basis=basis,
            min_subscores=scoring.min_subscores,
            subscores=tuple(
                SubScoreBreakdown(n, SUBSCORE_LABELS[n], READS[n], values[n], scoring.weights.get(n, 0.0), tuple(rows[n]), formulas[n])
                for n in SUBSCORES
            ),
            formula=rank_formula(weighted, rank, basis, scoring.min_subscores),  # type: ignore[arg-type]
        )
    return scores, breakdowns
