"""Random catalogs end to end: every verdict of every pair checked against its table."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from unfragile_ssg.catalog.enrich import build_catalog
from unfragile_ssg.catalog.methodology import methodology_context
from unfragile_ssg.config import ScoringSettings, load_project

from .helpers import KIND_RULES, check_verdict, random_entries, settings

ROOT = Path(__file__).resolve().parents[2]


class _Project:
    def __init__(self, s):
        self.settings = s


@pytest.mark.parametrize("seed", range(12))
def test_every_verdict_of_a_random_catalog_matches_its_table(seed):
    rng = random.Random(seed)
    s = settings(scoring=ScoringSettings(tie_margin=rng.choice([0, 1, 2, 3.5]), min_subscores=rng.randint(1, 4),
                                         kinds=KIND_RULES[seed % len(KIND_RULES)]))
    catalog = build_catalog(_Project(s), random_entries(rng, rng.randint(2, 40)))
    for pair in catalog.pairs:
        first, second = catalog.ordered_pair(pair)
        a, b = catalog.scores[first.slug], catalog.scores[second.slug]
        # the higher-ranked entry is shown first
        if a.rank is not None and b.rank is not None:
            assert a.rank >= b.rank
        assert not (a.rank is None and b.rank is not None)
        check_verdict(catalog.verdict(pair), first.fields.title, a, second.fields.title, b, s.scoring.tie_margin)
    context = methodology_context(_Project(s), catalog)
    assert context["example"] is not None and context["stats"]["pairs"] == len(catalog.pairs)
    for rule in context["kind_rules"]:  # the methodology's table: what the scores were computed with
        members = [e for e in catalog.entries if e.kind == rule["kind"]]
        assert rule["ranked"] == sum(catalog.scores[e.slug].rank is not None for e in members)
        assert rule["needed"] == s.scoring.needed(rule["kind"])
        assert [share is not None for share in rule["shares"]] == [
            n in s.scoring.applies(rule["kind"]) for n in ("adoption", "quality", "ecosystem", "match_graph")]
        assert all(catalog.scores[e.slug].applies == s.scoring.applies(rule["kind"]) for e in members)


def _example_catalog():
    from unfragile_ssg.content.entries import load_site_entries

    project = load_project(ROOT / "unfragile.yaml")
    entries, _ = load_site_entries(project)
    return project, build_catalog(project, entries)


def test_example_site_seed_pair():
    project, catalog = _example_catalog()
    pair = next(p for p in catalog.pairs if p.slug == "ai-notes-vs-blip-image-captioning-base")
    first, second = catalog.ordered_pair(pair)
    a, b = catalog.scores[first.slug], catalog.scores[second.slug]
    text = catalog.verdict(pair)
    check_verdict(text, first.fields.title, a, second.fields.title, b, project.settings.scoring.tie_margin)
    context = methodology_context(project, catalog)
    example = context["example"]["breakdown"]
    assert example.rank == catalog.scores[context["example"]["entry"].slug].rank
    for pair in catalog.pairs:
        first, second = catalog.ordered_pair(pair)
        check_verdict(catalog.verdict(pair), first.fields.title, catalog.scores[first.slug], second.fields.title,
                      catalog.scores[second.slug], project.settings.scoring.tie_margin)
