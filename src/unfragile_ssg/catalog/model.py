"""The enriched catalog that pages are planned from."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..content.validate import Entry

SUBSCORES = ("adoption", "quality", "ecosystem", "match_graph")
SUBSCORE_LABELS = {
    "adoption": "Adoption",
    "quality": "Quality",
    "ecosystem": "Ecosystem",
    "match_graph": "Match Graph",
}


@dataclass(frozen=True)
class Scores:
    """Sub-scores and UnfragileRank on 0–100; None where the evidence is missing."""

    adoption: float | None = None
    quality: float | None = None
    ecosystem: float | None = None
    match_graph: float | None = None
    rank: float | None = None

    def get(self, name: str) -> float | None:
        return getattr(self, name)

    @property
    def basis(self) -> int:
        """How many sub-scores the rank rests on."""
        return sum(self.get(name) is not None for name in SUBSCORES)


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


@dataclass
class Catalog:
    entries: list[Entry]
    scores: dict[str, Scores]
    pairs: list[Pair]
    by_slug: dict[str, Entry] = field(init=False)
    pairs_of: dict[str, list[Pair]] = field(init=False)
    position: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.by_slug = {entry.slug: entry for entry in self.entries}
        self.pairs_of = {entry.slug: [] for entry in self.entries}
        for pair in self.pairs:
            self.pairs_of[pair.a].append(pair)
            self.pairs_of[pair.b].append(pair)
        self.position = {entry.slug: i for i, entry in enumerate(self.ranked())}

    def times_matched(self, slug: str) -> int:
        return len(self.pairs_of[slug])

    def ranked(self, entries: list[Entry] | None = None) -> list[Entry]:
        """Highest UnfragileRank first; entries without a rank last; ties by title."""
        def key(entry: Entry):
            rank = self.scores[entry.slug].rank
            return (rank is None, -(rank or 0.0), entry.fields.title.lower(), entry.slug)

        return sorted(self.entries if entries is None else entries, key=key)

    def ordered_pair(self, pair: Pair) -> tuple[Entry, Entry]:
        """The two sides of a comparison, higher-ranked first."""
        first, second = self.by_slug[pair.a], self.by_slug[pair.b]
        if self.position[second.slug] < self.position[first.slug]:
            first, second = second, first
        return first, second
