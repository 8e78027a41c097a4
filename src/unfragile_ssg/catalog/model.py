"""The enriched catalog that pages are planned from."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from ..config import SUBSCORE_NAMES
from ..content.validate import Entry
from .formulas import mean_formula, rank_formula

SUBSCORES: tuple[str, ...] = SUBSCORE_NAMES
SUBSCORE_LABELS = {
    "adoption": "Adoption",
    "quality": "Quality",
    "ecosystem": "Ecosystem",
    "match_graph": "Match Graph",
}


def basis_text(basis: int, applies: tuple[str, ...], scope: str) -> str:
    """How many sub-scores a rank rests on, out of those that apply: "3 of 4 sub-scores",
    "2 of 3 sub-scores that apply to prompts"."""
    if len(applies) == len(SUBSCORES):
        return f"{basis} of {len(SUBSCORES)} sub-scores"
    return f"{basis} of {len(applies)} sub-score{'' if len(applies) == 1 else 's'} that apply to {scope}"


@dataclass(frozen=True)
class Scores:
    """Sub-scores and UnfragileRank on 0–100; None where the evidence is missing, or where the
    sub-score does not apply to the entry's kind (not in ``applies``)."""

    adoption: float | None = None
    quality: float | None = None
    ecosystem: float | None = None
    match_graph: float | None = None
    rank: float | None = None
    applies: tuple[str, ...] = SUBSCORES  # the sub-scores of the entry's kind (config.ScoringSettings.applies)
    scope: str = ""  # the kind in running text, "prompts": what a sub-score that does not apply does not apply to

    def get(self, name: str) -> float | None:
        return getattr(self, name)

    def applies_to(self, name: str) -> bool:
        return name in self.applies

    @property
    def basis(self) -> int:
        """How many sub-scores the rank rests on."""
        return sum(self.get(name) is not None for name in SUBSCORES)

    @property
    def basis_text(self) -> str:
        return basis_text(self.basis, self.applies, self.scope)

    @property
    def missing(self) -> tuple[str, ...]:
        """The sub-scores that apply but have no score: what evidence would add."""
        return tuple(n for n in self.applies if self.get(n) is None)


@dataclass(frozen=True)
class Pair:
    """One edge of the match graph: one comparison page. ``a`` < ``b`` alphabetically."""

    a: str
    b: str
    weight: float = 1.0
    curated: bool = False
    reasons: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return f"{self.a}-vs-{self.b}"

    def other(self, slug: str) -> str:
        return self.b if slug == self.a else self.a


@dataclass(frozen=True)
class SubScoreBreakdown:
    """One sub-score of one entry: what it read, signal by signal, and what came out."""

    name: str
    label: str
    reads: str
    score: float | None
    weight: float  # weight of the sub-score in UnfragileRank
    rows: tuple[Any, ...]  # signals.SignalRow
    applies: bool = True  # False: not computed for the entry's kind, and not in its rank
    scope: str = ""  # the kind in running text ("prompts")

    @property
    def counted(self) -> tuple[Any, ...]:
        return tuple(r for r in self.rows if r.counted)

    @property
    def formula(self) -> str:
        """The arithmetic, or why there is no score."""
        if not self.applies:
            return f"does not apply to {self.scope}: not computed, and not part of the rank"
        return mean_formula(self.rows, self.score)


@dataclass(frozen=True)
class Breakdown:
    """Why an entry has the rank it has."""

    slug: str
    version: str
    rank: float | None
    basis: int
    min_subscores: int  # how many of the sub-scores that apply the rank needs (ScoringSettings.needed)
    subscores: tuple[SubScoreBreakdown, ...]
    # a fingerprint of everything the breakdown is computed from (rank.score_entries): equal
    # fingerprints mean equal breakdowns, and it is far quicker to compare than they are
    inputs: str = ""

    def get(self, name: str) -> SubScoreBreakdown:
        return next(s for s in self.subscores if s.name == name)

    @property
    def applies(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.subscores if s.applies)

    @property
    def scope(self) -> str:
        return self.subscores[0].scope

    @property
    def basis_text(self) -> str:
        return basis_text(self.basis, self.applies, self.scope)

    @property
    def formula(self) -> str:
        """The arithmetic of UnfragileRank, or why there is none."""
        weighted = [(s.name, s.weight, s.score) for s in self.subscores if s.score is not None and s.weight > 0]
        return rank_formula(weighted, self.rank, self.basis_text, self.basis < self.min_subscores, self.min_subscores)  # type: ignore[arg-type]


@dataclass
class Catalog:
    entries: list[Entry]
    pairs: list[Pair]
    scoring: Any  # rank.Scoring: every entry's scores, and its breakdown on demand
    tie_margin: float = 2.0
    graph: Any = None  # graph.MatchGraph, for the methodology page
    scores: dict[str, Scores] = field(init=False)
    by_slug: dict[str, Entry] = field(init=False)
    pairs_of: dict[str, list[Pair]] = field(init=False)
    position: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.scores = self.scoring.scores
        self.by_slug = {entry.slug: entry for entry in self.entries}
        self.pairs_of = {entry.slug: [] for entry in self.entries}
        for pair in self.pairs:
            self.pairs_of[pair.a].append(pair)
            self.pairs_of[pair.b].append(pair)
        self._ranked = self.ranked(self.entries)
        self.position = {entry.slug: i for i, entry in enumerate(self._ranked)}
        self._members: dict[tuple[str, str], list[Entry]] = {}
        for entry in self._ranked:
            self._members.setdefault(("kind", entry.kind), []).append(entry)
            self._members.setdefault(("pricing", entry.head.pricing), []).append(entry)
            for task in entry.head.tasks:
                self._members.setdefault(("task", task), []).append(entry)

    def breakdown(self, slug: str) -> Breakdown | None:
        """Why ``slug`` has its rank: every sub-score, signal by signal, with sources (made
        when asked for: only the pages that show it need it)."""
        return self.scoring.breakdown(slug)

    def breakdown_inputs(self, slug: str) -> str | None:
        """A fingerprint of what ``breakdown(slug)`` is computed from: equal fingerprints,
        equal breakdowns."""
        return self.scoring.inputs.get(slug)

    def evidence(self, slug: str) -> int:
        """How many signals ``slug``'s sub-scores rest on."""
        return self.scoring.scored[slug].evidence

    def verdict(self, pair: Pair) -> str:
        """The verdict sentence of a comparison page, sides in page order (higher-ranked first)."""
        from .verdict import verdict

        first, second = self.ordered_pair(pair)
        return verdict(first.head.title, self.scores[first.slug], second.head.title, self.scores[second.slug], self.tie_margin)

    def times_matched(self, slug: str) -> int:
        return len(self.pairs_of[slug])

    def ranked(self, entries: list[Entry] | None = None) -> list[Entry]:
        """Highest UnfragileRank first (ties by title), then the entries without a rank, by title."""
        if entries is None:
            return list(self._ranked)  # sorted once: the whole catalog is ranked by many pages

        def key(entry: Entry):
            rank = self.scores[entry.slug].rank
            return (rank is None, -(rank or 0.0), entry.head.title.lower(), entry.slug)

        return sorted(entries, key=key)

    def ranked_members(self, by: str, name: str) -> list[Entry]:
        """The entries of one kind, task or pricing (``by``), ranked; grouped once, for the
        list pages and every page that counts them."""
        return self._members.get((by, name), [])

    def ranked_count(self, entries: list[Entry]) -> int:
        """How many of ``entries`` (in ``ranked`` order) have a rank: they come first, then
        those without one, by name."""
        return bisect_left(entries, True, key=lambda entry: self.scores[entry.slug].rank is None)

    def comparison_index(self, task_order: list[str]) -> list[tuple[str | None, Pair]]:
        """Every pair once, in the comparison index's order: grouped under the first task (in
        ``task_order``) both sides do, None for pairs that share none, last; within a group by
        the name it is shown with ("A vs B", higher-ranked first), case-insensitively."""
        cached = getattr(self, "_comparison_index", None)
        if cached is not None and cached[0] == task_order:
            return cached[1]
        place = {task: i for i, task in enumerate(task_order)}
        rows = []
        for pair in self.pairs:
            first, second = self.ordered_pair(pair)
            shared = set(first.head.tasks) & set(second.head.tasks)
            group = min(shared, key=lambda t: place.get(t, len(place)), default=None)
            name = f"{first.head.title} vs {second.head.title}".casefold()
            rows.append(((place.get(group, len(place)) if group else len(place) + 1, name, pair.a, pair.b), group, pair))
        rows.sort(key=lambda row: row[0])
        index = [(group, pair) for _, group, pair in rows]
        self._comparison_index = (list(task_order), index)
        return index

    def ordered_pair(self, pair: Pair) -> tuple[Entry, Entry]:
        """The two sides of a comparison, higher-ranked first."""
        first, second = self.by_slug[pair.a], self.by_slug[pair.b]
        if self.position[second.slug] < self.position[first.slug]:
            first, second = second, first
        return first, second
