"""Sub-scores and UnfragileRank from raw signals, with the breakdown that explains each.

Every stored score is a whole number (rounded half up), exactly what the pages show, and
UnfragileRank is computed from the shown sub-scores, so a reader can redo the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cachefile import code_digest
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


class Scorer:
    """Scores entries within one catalog: what an entry's breakdown reads besides the entry
    itself (its benchmark groups, the reference day of recency, its place in the match graph)."""

    def __init__(self, entries: list[Entry], graph: MatchGraph, settings: Settings):
        self.settings = settings
        self.graph = graph
        scoring = settings.scoring
        # results of entries that Quality does not apply to are no yardstick for the others
        self.groups = benchmark_groups([e for e in entries if "quality" in scoring.applies(e.kind)])
        self.reference = reference_day(entries, scoring)
        self._context = fingerprint(code_digest(), scoring.model_dump_json(), settings.match.full_strength, self.reference)
        self._group_prints = {key: fingerprint(key, group.title, sorted(group.results.items())) for key, group in self.groups.items()}
        self._kinds: dict[str, tuple[tuple[str, ...], int, str]] = {}

    def kind_rule(self, kind: str) -> tuple[tuple[str, ...], int, str]:
        """The sub-scores that apply to ``kind``, how many a rank needs, and the kind in running text."""
        found = self._kinds.get(kind)
        if found is None:
            scoring, named = self.settings.scoring, self.settings.kinds.get(kind)
            found = self._kinds[kind] = (scoring.applies(kind), scoring.needed(kind), named.noun if named else kind)
        return found

    def inputs(self, entry: Entry) -> str:
        """A fingerprint of everything ``breakdown(entry)`` reads: the entry (its file and its
        kind), the settings, the reference day, the benchmark groups the entry is in, and its
        place in the match graph. Equal fingerprints, equal breakdowns (a test in tests/catalog)."""
        slug = entry.slug
        rule = self.kind_rule(entry.kind)
        groups = sorted({self._group_prints[benchmark_key(b)] for b in entry.head.signals.benchmarks}) if "quality" in rule[0] else []
        return fingerprint(self._context, slug, entry.digest, entry.kind, rule, self.graph.strength[slug], self.graph.scores[slug], groups)

    def breakdown(self, entry: Entry, inputs: str | None = None) -> Breakdown:
        """``inputs``: ``self.inputs(entry)``, when the caller has it already."""
        scoring = self.settings.scoring
        applies, needed, scope = self.kind_rule(entry.kind)
        rows = {name: self._rows(name, entry) if name in applies else [] for name in SUBSCORES}
        values: dict[str, float | None] = {}
        for name, found in rows.items():
            mean = weighted_mean(found)
            values[name] = None if mean is None else round_half_up(mean)
        present = [(n, scoring.weights.get(n, 0.0), values[n]) for n in applies if values[n] is not None]
        weighted = [(n, w, v) for n, w, v in present if w > 0]
        rank = None
        if len(present) >= needed and weighted:
            rank = round_half_up(sum(w * v for _, w, v in weighted) / sum(w for _, w, _ in weighted))  # type: ignore[operator]
        return Breakdown(
            slug=entry.slug,
            version=scoring.version,
            rank=rank,
            basis=len(present),
            min_subscores=needed,
            subscores=tuple(
                SubScoreBreakdown(n, SUBSCORE_LABELS[n], READS[n], values[n], scoring.weights.get(n, 0.0), tuple(rows[n]),
                                  applies=n in applies, scope=scope)
                for n in SUBSCORES
            ),
            inputs=inputs if inputs is not None else self.inputs(entry),
        )

    def _rows(self, name: str, entry: Entry) -> list[SignalRow]:
        """The signals one sub-score reads, each scored."""
        scoring = self.settings.scoring
        eco, signals = scoring.ecosystem, entry.head.signals
        if name == "adoption":
            return count_rows(signals, scoring.adoption)
        if name == "quality":
            return quality_rows(entry, self.groups, scoring.quality.min_reports)
        if name == "ecosystem":
            found = count_rows(signals, eco.community) + [documentation_row(entry, eco), licence_row(entry, eco)]
            if self.reference is not None:
                found.append(recency_row(entry, eco, self.reference))
            return found
        strength, raw = self.graph.strength[entry.slug], self.graph.scores[entry.slug]
        full = self.settings.match.full_strength
        return [SignalRow("Weighted degree in the match graph", f"{strength:.4f}", raw, 1.0,
                          f"100 × weighted degree ÷ {full:g}, at most 100: 0 without comparisons, 100 at {full:g} or more")]


@dataclass(frozen=True)
class Scored:
    """What the catalog keeps of an entry's breakdown for every entry: its scores, and how
    many signals they rest on. The breakdown itself is made again only for the pages that show it."""

    scores: Scores
    evidence: int  # signal rows counted in the sub-scores

    @classmethod
    def of(cls, breakdown: Breakdown) -> "Scored":
        values = {s.name: s.score for s in breakdown.subscores}
        scores = Scores(rank=breakdown.rank, applies=breakdown.applies, scope=breakdown.scope, **values)
        return cls(scores, sum(len(s.counted) for s in breakdown.subscores))


@dataclass
class Scoring:
    """Every entry's scores, and its breakdown on demand."""

    scorer: Scorer
    by_slug: dict[str, Entry]
    scored: dict[str, Scored]
    inputs: dict[str, str]

    @property
    def scores(self) -> dict[str, Scores]:
        return {slug: s.scores for slug, s in self.scored.items()}

    def breakdown(self, slug: str) -> Breakdown:
        return self.scorer.breakdown(self.by_slug[slug], self.inputs[slug])


def score_entries(entries: list[Entry], graph: MatchGraph, settings: Settings,
                  known: dict[str, Scored] | None = None) -> Scoring:
    """Scores of every entry. ``known`` maps the fingerprints of breakdown inputs to the scores
    a previous build computed from them (``Scorer.inputs``): those entries are not scored again."""
    scorer = Scorer(entries, graph, settings)
    known = known or {}
    scored: dict[str, Scored] = {}
    inputs: dict[str, str] = {}
    for entry in entries:
        key = inputs[entry.slug] = scorer.inputs(entry)
        found = known.get(key)
        scored[entry.slug] = found if found is not None else Scored.of(scorer.breakdown(entry, key))
    return Scoring(scorer, {e.slug: e for e in entries}, scored, inputs)
