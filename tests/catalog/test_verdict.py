"""Verdicts say only what the table shows: a property test over random scores, and fixed cases."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from unfragile_ssg.catalog.model import Scores
from unfragile_ssg.catalog.verdict import claims, verdict

from .helpers import check_verdict

score = st.one_of(st.none(), st.integers(0, 100).map(float), st.floats(0, 100, allow_nan=False))


SUBSCORES = ("adoption", "quality", "ecosystem", "match_graph")


@st.composite
def scores(draw) -> Scores:
    """Scores of an entry of some kind: a sub-score that does not apply to it has no number."""
    if draw(st.booleans()):
        applies = SUBSCORES
    else:
        applies = tuple(n for n in SUBSCORES if n in draw(st.sets(st.sampled_from(SUBSCORES), min_size=1)))
    values = {n: draw(score) if n in applies else None for n in SUBSCORES}
    return Scores(rank=draw(score), applies=applies, scope=draw(st.sampled_from(["prompts", "models", "MCP servers"])), **values)


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


PROMPT = ("adoption", "ecosystem", "match_graph")


def test_a_sub_score_that_does_not_apply_is_named_so():
    model = Scores(rank=80, adoption=70, quality=90, ecosystem=60, match_graph=50, scope="models")
    prompts = Scores(rank=60, adoption=40, ecosystem=60, match_graph=50, applies=PROMPT, scope="prompts")
    text = verdict("M", model, "P", prompts, 2.0)
    assert "P is not scored on quality: it does not apply to prompts." in text
    assert "insufficient data" not in text and "enough data" not in text
    # the prompt's rank rests on every sub-score that applies to it; the model's on all four
    assert text.endswith("P's rank rests on 3 of 3 sub-scores that apply to prompts.")
    check_verdict(text, "M", model, "P", prompts, 2.0)


def test_what_applies_to_neither_is_said_once():
    a = Scores(rank=70, adoption=40, ecosystem=60, match_graph=50, applies=PROMPT, scope="prompts")
    b = Scores(rank=50, ecosystem=60, match_graph=50, applies=PROMPT, scope="prompts")
    text = verdict("A", a, "B", b, 2.0)
    assert "Neither is scored on quality: it does not apply to prompts." in text
    assert "B has insufficient data for adoption." in text
    assert "B's rank rests on 2 of 3 sub-scores that apply to prompts." in text
    kinds = [(c.kind, c.measure, c.subject) for c in claims("A", a, "B", b, 2.0)]
    assert ("inapplicable", "quality", None) in kinds and ("missing", "quality", None) not in kinds


def test_missing_beside_does_not_apply():
    # the model has no quality score either: that is missing evidence, said apart from the prompt's
    model = Scores(adoption=70, ecosystem=60, match_graph=50, scope="models")
    prompts = Scores(ecosystem=60, match_graph=50, applies=PROMPT, scope="prompts")
    text = verdict("M", model, "P", prompts, 2.0)
    assert "M has insufficient data for quality." in text
    assert "P has insufficient data for adoption." in text
    assert "P is not scored on quality: it does not apply to prompts." in text
    check_verdict(text, "M", model, "P", prompts, 2.0)


def test_two_sides_that_share_a_title_keep_their_own_claims():
    # any two entries can be compared (/compare/?a=&b=), and two may share a title
    first = Scores(rank=60, adoption=10, quality=None, ecosystem=77, match_graph=5, scope="models")
    second = Scores(rank=18, adoption=40, quality=30, ecosystem=24, match_graph=5, scope="models")
    text = verdict("A", first, "A", second, 2.0)
    assert text.count("A leads on") == 2
    assert "A leads on ecosystem (77 vs 24)." in text and "A leads on adoption (40 vs 10)." in text
    assert text.count("has insufficient data for quality") == 1
    assert text.endswith("A's rank rests on 3 of 4 sub-scores.")
