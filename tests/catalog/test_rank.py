from __future__ import annotations

import dataclasses
import hashlib
import random
import re

import pytest

from unfragile_ssg.catalog.graph import build_graph
from unfragile_ssg.catalog.rank import Scorer, score_entries
from unfragile_ssg.config import ScoringSettings
from unfragile_ssg.content.schema import EntryFields
from unfragile_ssg.content.validate import Fields

from .helpers import SOURCE, count, make_entry, random_entries, settings


def _score(entries, **scoring):
    """Scores and every breakdown."""
    result = _scoring(entries, **scoring)
    return result.scores, {slug: result.breakdown(slug) for slug in result.scored}


def _scoring(entries, known=None, **scoring):
    s = settings(scoring=ScoringSettings(**scoring)) if scoring else settings()
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


def test_a_breakdown_changes_only_when_the_fingerprint_of_its_inputs_does():
    """Page keys use ``Breakdown.inputs`` in place of the breakdown: it must cover all it is made from."""
    rng = random.Random(3)
    changed = unchanged = 0
    for trial in range(16):
        entries = [_as_read_from_disk(e, i % 4 == 0) for i, e in enumerate(random_entries(rng, 60))]
        donors = random_entries(rng, 60)
        edited = list(entries)
        for i in rng.sample(range(60), rng.randint(1, 3)):
            if rng.random() < 0.5:  # new evidence only: the match graph stays as it was
                fields = entries[i].fields.model_copy(update={"signals": donors[i].fields.signals})
                edited[i] = _as_read_from_disk(_with_fields(entries[i], fields), i % 4 == 0)
            else:  # a new entry under the same slug: the match graph moves too
                edited[i] = _as_read_from_disk(donors[i], i % 4 == 0)
        if trial % 4 == 0:  # a release newer than any: recency is measured to another day
            i = rng.randrange(60)
            data = edited[i].fields.model_dump(mode="json")
            data["signals"]["released"] = {"value": "2027-01-01", "source": SOURCE}
            edited[i] = _as_read_from_disk(_with_fields(edited[i], EntryFields.model_validate(data)), i % 4 == 0)
        # half the trials measure recency to a fixed day, so that an edit need not move it for all
        scoring = {"as_of": "2026-06-01"} if trial % 2 else {}
        before, after = _score(entries, **scoring)[1], _score(edited, **scoring)[1]
        for slug, breakdown in after.items():
            if breakdown.inputs == before[slug].inputs:
                assert breakdown == before[slug], slug
                unchanged += 1
            else:
                changed += 1
    assert changed > 20 and unchanged > 100  # both cases were seen, many times


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
