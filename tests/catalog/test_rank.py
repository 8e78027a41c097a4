from __future__ import annotations

import dataclasses
import hashlib
import random
import re

import pytest

from unfragile_ssg.catalog.graph import build_graph
from unfragile_ssg.catalog.rank import Scorer, score_entries
from unfragile_ssg.config import KindSettings, KindScoring, MatchSettings, ScoringSettings
from unfragile_ssg.content.schema import EntryFields
from unfragile_ssg.content.validate import Fields

from .helpers import KIND_RULES, SOURCE, count, make_entry, random_entries, settings


def _score(entries, site=None, **scoring):
    """Scores and every breakdown."""
    result = _scoring(entries, site=site, **scoring)
    return result.scores, {slug: result.breakdown(slug) for slug in result.scored}


def _scoring(entries, known=None, site=None, **scoring):
    """``site``: other settings than scoring (match, kinds)."""
    s = settings(**(site or {}), **({"scoring": ScoringSettings(**scoring)} if scoring else {}))
    graph = build_graph(entries, s)
    return score_entries(entries, graph, s, known)


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


def _with_fields(entry, fields):
    return dataclasses.replace(entry, kept=Fields.pack(fields))


def _as_read_from_disk(entry, benchmarks: bool = True):
    """Test entries share one digest; a real one is the file's, which changes with any field."""
    if not benchmarks:  # out of every benchmark group, so that others' edits need not reach it
        signals = entry.fields.signals.model_copy(update={"benchmarks": []})
        entry = _with_fields(entry, entry.fields.model_copy(update={"signals": signals}))
    return dataclasses.replace(entry, digest=hashlib.sha256(entry.fields.model_dump_json().encode()).hexdigest())


LABELS = [
    {"models": KindSettings(label="Model", plural="Models"), "prompts": KindSettings(label="Prompt", plural="Prompts")},
    {"models": KindSettings(label="Model", plural="Models"), "prompts": KindSettings(label="Prompt", plural="Prompt collections")},
]


def test_a_breakdown_changes_only_when_the_fingerprint_of_its_inputs_does():
    """Page keys use ``Breakdown.inputs`` in place of the breakdown: it must cover all it is made from."""
    rng = random.Random(3)
    changed = unchanged = moved = 0
    for trial in range(24):
        entries = [_as_read_from_disk(e, i % 4 == 0) for i, e in enumerate(random_entries(rng, 60))]
        donors = random_entries(rng, 60)
        edited = list(entries)
        for i in rng.sample(range(60), rng.randint(1, 3)):
            if rng.random() < 0.5:  # new evidence only: the match graph stays as it was
                fields = entries[i].fields.model_copy(update={"signals": donors[i].fields.signals})
                edited[i] = _as_read_from_disk(_with_fields(entries[i], fields), i % 4 == 0)
            else:  # a new entry under the same slug: the match graph moves too
                edited[i] = _as_read_from_disk(donors[i], i % 4 == 0)
        if trial % 3 == 1:  # a file moved to the other kind's folder: the same bytes, another kind
            for i in rng.sample(range(60), 2):
                other = "prompts" if edited[i].kind == "models" else "models"
                edited[i] = dataclasses.replace(edited[i], kind=other)
        if trial % 4 == 0:  # a release newer than any: recency is measured to another day
            i = rng.randrange(60)
            data = edited[i].fields.model_dump(mode="json")
            data["signals"]["released"] = {"value": "2027-01-01", "source": SOURCE}
            edited[i] = _as_read_from_disk(_with_fields(edited[i], EntryFields.model_validate(data)), i % 4 == 0)
        # half the trials measure recency to a fixed day, so that an edit need not move it for all
        scoring = {"as_of": "2026-06-01"} if trial % 2 else {}
        # per kind, which sub-scores apply; in some trials a kind's name in running text changes,
        # and kinds are as similar as anything else, so that a move of kind leaves the graph alone
        rules = KIND_RULES[trial % len(KIND_RULES)]
        before_site = {"kinds": LABELS[0], "match": MatchSettings(cross_kind=1.0 if trial % 3 == 1 else 0.5)}
        after_site = before_site | ({"kinds": LABELS[1]} if trial % 6 == 5 else {})
        before = _score(entries, site=before_site, kinds=rules, **scoring)[1]
        after = _score(edited, site=after_site, kinds=rules, **scoring)[1]
        kinds = {e.slug: (e.kind, edited[i].kind) for i, e in enumerate(entries)}
        for slug, breakdown in after.items():
            if breakdown.inputs == before[slug].inputs:
                assert breakdown == before[slug], slug
                unchanged += 1
            else:
                changed += 1
                moved += kinds[slug][0] != kinds[slug][1]
    assert changed > 20 and unchanged > 100 and moved >= 8  # every case was seen, many times


def test_scores_kept_from_a_previous_build_are_those_scoring_again_gives(monkeypatch) -> None:
    """A rebuild scores only the entries whose breakdown inputs changed, and gets what scoring
    everything again would give."""
    rng = random.Random(5)
    entries = [_as_read_from_disk(e, i % 4 == 0) for i, e in enumerate(random_entries(rng, 60))]
    first = _scoring(entries, as_of="2026-06-01")
    known = {first.inputs[slug]: scored for slug, scored in first.scored.items()}
    edited = list(entries)
    donor = random_entries(rng, 60)[7]  # new evidence for entry 7: the match graph stays as it was
    edited[7] = _as_read_from_disk(_with_fields(entries[7], entries[7].fields.model_copy(
        update={"signals": donor.fields.signals})), False)

    made: list[str] = []
    real = Scorer.breakdown
    monkeypatch.setattr(Scorer, "breakdown", lambda self, entry, inputs=None: made.append(entry.slug) or real(self, entry, inputs))
    again = _scoring(edited, known, as_of="2026-06-01")
    assert made == [edited[7].slug]
    monkeypatch.setattr(Scorer, "breakdown", real)
    fresh = _scoring(edited, as_of="2026-06-01")
    assert again.scored == fresh.scored and again.inputs == fresh.inputs
    for slug, scored in fresh.scored.items():
        breakdown = fresh.breakdown(slug)
        assert scored.evidence == sum(len(s.counted) for s in breakdown.subscores)
        assert scored.scores.rank == breakdown.rank


PROMPT_RULE = {"prompts": KindScoring(subscores=["adoption", "ecosystem", "match_graph"])}


def test_a_sub_score_that_does_not_apply_is_neither_computed_nor_weighted():
    bench = {"name": "COCO", "metric": "CIDEr", "value": 120.0, "source": SOURCE}
    entries = [
        make_entry("p", kind="prompts", signals={"downloads": count(10**5), "benchmarks": [bench]}),
        make_entry("m", signals={"downloads": count(10**5), "benchmarks": [bench | {"value": 100.0}]}),
        make_entry("n", signals={"downloads": count(10**3), "benchmarks": [bench | {"value": 80.0}]}),
    ]
    scores, breakdowns = _score(entries, kinds=PROMPT_RULE)
    p = scores["p"]
    assert p.quality is None and p.applies == ("adoption", "ecosystem", "match_graph") and p.scope == "prompts"
    assert p.basis == 3 and p.basis_text == "3 of 3 sub-scores that apply to prompts"
    expected = (0.3 * p.adoption + 0.2 * p.ecosystem + 0.2 * p.match_graph) / 0.7
    assert p.rank == int(expected + 0.5)
    quality = breakdowns["p"].get("quality")
    assert not quality.applies and quality.rows == ()
    assert quality.formula == "does not apply to prompts: not computed, and not part of the rank"
    # the prompt's 120 is no yardstick: the best of the models, 100, is
    assert scores["m"].quality == 100 and scores["n"].quality == 80
    assert scores["m"].applies == ("adoption", "quality", "ecosystem", "match_graph")


def test_a_rank_needs_the_sub_scores_that_apply():
    entries = [make_entry("p", kind="prompts"), make_entry("q", kind="prompts", signals={"stars": count(100)}),
               make_entry("m")]
    # min_subscores 3, and 3 apply to prompts: a prompt collection needs Adoption
    scores, breakdowns = _score(entries, kinds=PROMPT_RULE)
    assert scores["p"].rank is None and scores["q"].rank is not None
    assert breakdowns["p"].formula == (
        "rests on 2 of 3 sub-scores that apply to prompts; UnfragileRank needs at least 3: insufficient data")
    assert breakdowns["m"].formula == "rests on 2 of 4 sub-scores; UnfragileRank needs at least 3: insufficient data"
    # fewer apply than min_subscores asks for: all of them are needed
    scores, breakdowns = _score(entries, kinds={"prompts": KindScoring(subscores=["ecosystem", "match_graph"])})
    assert scores["p"].rank is not None and breakdowns["p"].min_subscores == 2
    # a kind's own minimum
    rule = {"prompts": KindScoring(subscores=["adoption", "ecosystem", "match_graph"], min_subscores=2)}
    scores, _ = _score(entries, kinds=rule)
    assert scores["p"].rank is not None and scores["m"].rank is None


def test_the_default_minimum_of_a_kind():
    scoring = ScoringSettings(min_subscores=3, kinds={
        "prompts": KindScoring(subscores=["adoption", "ecosystem", "match_graph"]),
        "datasets": KindScoring(subscores=["adoption"]),
        "tools": KindScoring(subscores=["adoption", "ecosystem"], min_subscores=1),
    })
    assert [scoring.needed(k) for k in ("models", "prompts", "datasets", "tools")] == [3, 3, 1, 1]
    assert scoring.applies("models") == ("adoption", "quality", "ecosystem", "match_graph")
    # in the order of the sub-scores, whatever the order of the setting
    assert ScoringSettings(kinds={"prompts": KindScoring(subscores=["match_graph", "adoption"])}).applies("prompts") == (
        "adoption", "match_graph")
