"""Share cards: the ``og:image`` of every entry and comparison page, planned like a page.

A card shows what its page is about (title, kind, rank). Its file name carries a fingerprint of
exactly that text and of the code that draws it, so a page names its card before any card is
drawn, a changed card gets a new address (caches never show the old one), and an unchanged card
is reused by the write stage like any unchanged page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..catalog.model import Catalog, Pair
from ..fingerprint import fingerprint

CARD_WIDTH, CARD_HEIGHT = 1200, 630
DRAWING = Path(__file__).resolve().parent.parent / "render" / "cards.py"
_drawing_digest: str | None = None


@dataclass(frozen=True)
class Card:
    site: str  # the site's title, on top
    title: str  # the entry's title, or "A vs B"
    kind: str  # "Model", or "Model vs Prompt"
    rank: str  # "UnfragileRank 91/100", "Not ranked yet", or "UnfragileRank 91 vs 62"
    path: str  # where it is published, under the base path

    @property
    def alt(self) -> str:
        return f"{self.title}: {self.kind}, {self.rank}"


def drawing_digest() -> str:
    """A fingerprint of the code that draws cards: a change to it redraws every card."""
    global _drawing_digest
    if _drawing_digest is None:
        try:
            import PIL

            pillow = PIL.__version__
        except ImportError:  # pragma: no cover - Pillow is a dependency
            pillow = None
        _drawing_digest = fingerprint(DRAWING.read_bytes(), pillow)
    return _drawing_digest


def _rank(catalog: Catalog, slug: str) -> float | None:
    return catalog.scores[slug].rank


def _whole(value: float) -> str:
    return f"{value:.0f}"  # as the pages show a score (render.engine.format_score)


def _card(site: str, title: str, kind: str, rank: str, folder: str, name: str) -> Card:
    key = fingerprint(drawing_digest(), site, title, kind, rank)[:10]
    return Card(site, title, kind, rank, f"cards/{folder}/{name}.{key}.jpg")


def entry_card(catalog: Catalog, kinds: dict, site: str, slug: str) -> Card:
    entry = catalog.by_slug[slug]
    rank = _rank(catalog, slug)
    text = "Not ranked yet" if rank is None else f"UnfragileRank {_whole(rank)}/100"
    return _card(site, entry.head.title, kinds[entry.kind].label, text, entry.kind, slug)


def pair_card(catalog: Catalog, kinds: dict, site: str, pair: Pair) -> Card:
    first, second = catalog.ordered_pair(pair)
    ranks = [_rank(catalog, e.slug) for e in (first, second)]
    shown = ["not ranked" if r is None else _whole(r) for r in ranks]
    kind_a, kind_b = kinds[first.kind].label, kinds[second.kind].label
    kind = kind_a if kind_a == kind_b else f"{kind_a} vs {kind_b}"
    return _card(site, f"{first.head.title} vs {second.head.title}", kind, f"UnfragileRank {shown[0]} vs {shown[1]}",
                 "compare", pair.slug)
