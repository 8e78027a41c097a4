from __future__ import annotations

import re

import pytest

from unfragile_ssg.catalog.graph import build_graph
from unfragile_ssg.catalog.rank import score_entries
from unfragile_ssg.config import ScoringSettings

from .helpers import count, make_entry, settings


def _score(entries, **scoring):
    s = settings(scoring=ScoringSettings(**scoring)) if scoring else settings()
    graph = build_graph(entries, s)
    return score_entries(entries, graph, s)


def test_missing_evidence_is_never_imputed():
    entries = [make_entry("bare", links={}, licence="Some licence"), make_entry("other")]
    scores, breakdowns = _score(entries)
    bare = scores["bare"]
    assert bare.adoption is None and bare.quality is None
    assert bare.ecosystem == 0  # no documentation link is a fact: 0 points; the unknown licence is left out
    assert bare.rank is None and "insufficient data" in breakdowns["bare"].formula


def test_rank_is_the_weighted_mean_of_the_shown_subscores():
    entries = [
        make_entry("a", signals={"downloads": count(123_456), "stars": count(999), "released": {"value": "2024-01-01", "source": "https://x.org/"}}),
        make_entry("b", signals={"likes": count(5)}),
    ]
    scores, breakdowns = _score(entries, weights={"adoption": 0.5, "quality": 0.1, "ecosystem": 0.3, "match_graph": 0.1})
    a = scores["a"]
    assert a.quality is None and a.basis == 3
    expected = (0.5 * a.adoption + 0.3 * a.ecosystem + 0.1 * a.match_graph) / 0.9
    assert a.rank == int(expected + 0.5)
    for value in (a.adoption, a.ecosystem, a.match_graph, a.rank):
        assert value == int(value)  # stored as shown
    # the formula printed on the page reproduces the rank
    m = re.search(r"= ([\d.]+), shown as (\d+)$", breakdowns["a"].formula)
    assert float(m.group(1)) == pytest.approx(expected, abs=0.01) and int(m.group(2)) == a.rank


def test_min_subscores():
    entries = [make_entry("a", signals={"downloads": count(10**6)}), make_entry("b")]
    scores, _ = _score(entries, min_subscores=3)
    assert scores["a"].rank is not None and scores["b"].rank is None  # b: only ecosystem and match graph
    scores, _ = _score(entries, min_subscores=2)
    assert scores["b"].rank is not None and scores["b"].basis == 2


def test_breakdown_lists_every_signal_with_its_source():
    entries = [make_entry("a", signals={"downloads": count(10**5)}), make_entry("b")]
    _, breakdowns = _score(entries)
    adoption = breakdowns["a"].get("adoption")
    downloads = next(r for r in adoption.rows if r.label.startswith("Downloads"))
    assert downloads.source == "https://example.org/source" and downloads.as_of == "2026-01-01"
    assert downloads.score == pytest.approx(60.0, abs=0.05)  # log10(1e5) is 3/5 of the way from log10(101) to log10(1e7 + 1)
    likes = next(r for r in adoption.rows if r.label == "Likes")
    assert likes.value is None and not likes.counted
