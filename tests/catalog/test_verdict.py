"""Verdicts say only what the table shows: a property test over random scores, and fixed cases."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from unfragile_ssg.catalog.model import Scores
from unfragile_ssg.catalog.verdict import claims, verdict

from .helpers import check_verdict

score = st.one_of(st.none(), st.integers(0, 100).map(float), st.floats(0, 100, allow_nan=False))


@st.composite
def scores(draw) -> Scores:
    values = {n: draw(score) for n in ("adoption", "quality", "ecosystem", "match_graph")}
    return Scores(rank=draw(score), **values)


titles = st.sampled_from(["BLIP image captioning (base)", "ai-notes (swyx)", "Model and Co", "vs", "Leads", "They", "Neither 2", "A"])


@settings(max_examples=600, deadline=None)
@given(scores(), scores(), titles, titles, st.sampled_from([0.0, 1.0, 2.0, 2.5, 5.0]))
def test_every_claim_is_true_of_the_shown_numbers(first, second, first_title, second_title, margin):
    if first_title == second_title:
        second_title = second_title + " II"
    text = verdict(first_title, first, second_title, second, margin)
    check_verdict(text, first_title, first, second_title, second, margin)


def test_the_seeds_tie_is_called_a_tie():
    # the seed's page: quality 0 vs 0 and ecosystem 1 vs 1, yet it said one side was "stronger" on both
    first = Scores(adoption=1, quality=0, ecosystem=1, match_graph=0, rank=50)
    second = Scores(adoption=0, quality=0, ecosystem=1, match_graph=0, rank=37)
    text = verdict("blip-image-captioning-base", first, "ai-notes", second, 0.0)
    assert "stronger" not in text and "ai-notes leads" not in text
    assert "They are tied on quality (0), ecosystem (1) and match graph (0)." in text
    assert text.startswith("blip-image-captioning-base ranks higher overall: 50/100 vs 37/100.")


def test_numbers_that_show_the_same_are_never_a_lead():
    # 61.4 and 60.6 both show as 61: no lead, however small the margin
    text = verdict("A", Scores(quality=61.4, rank=70), "B", Scores(quality=60.6, rank=50), 0.0)
    assert "They are tied on quality (61)." in text
    assert "leads on quality" not in text


def test_within_the_margin_is_too_close_to_call():
    text = verdict("A", Scores(rank=62, adoption=40), "B", Scores(rank=61, adoption=42), 2.0)
    assert text.startswith("A and B are within 2 points of each other overall (62 vs 61), too close to call.")
    assert "They are within 2 points on adoption (40 vs 42)." in text


def test_missing_rank_makes_no_overall_call():
    text = verdict("A", Scores(rank=80, quality=90, ecosystem=50, match_graph=10), "B", Scores(ecosystem=50, match_graph=20), 2.0)
    assert text.startswith("There is not enough evidence to rank B yet, so this page makes no overall call.")
    assert "B has insufficient data for quality." in text
    assert "Neither has enough data for adoption." in text
    assert "rests on" not in text  # only said when both are ranked


def test_partial_basis_is_named():
    kinds = [c.kind for c in claims("A", Scores(rank=80, quality=90, ecosystem=70), "B", Scores(rank=60, adoption=1, quality=2, ecosystem=3, match_graph=4), 2.0)]
    assert kinds.count("basis") == 1
    text = verdict("A", Scores(rank=80, quality=90, ecosystem=70, match_graph=20), "B", Scores(rank=60, adoption=1, quality=2, ecosystem=3, match_graph=4), 2.0)
    assert text.endswith("A's rank rests on 3 of 4 sub-scores.")
