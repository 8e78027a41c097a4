from __future__ import annotations

import datetime as dt

import pytest

from unfragile_ssg.catalog.signals import (
    benchmark_groups, benchmark_key, licence_score, log_score, quality_rows, recency_score, round_half_up, weighted_mean, SignalRow,
)
from unfragile_ssg.config import EcosystemSettings, LogScale
from unfragile_ssg.content.schema import Benchmark

from .helpers import SOURCE, make_entry


def test_log_scale_ends_and_middle():
    scale = LogScale(weight=1, floor=9, ceiling=9999)
    assert log_score(0, scale) == 0 and log_score(9, scale) == 0
    assert log_score(9999, scale) == 100 and log_score(10**9, scale) == 100
    assert log_score(999, scale) == pytest.approx(200 / 3)  # log10(1000) is two thirds of the way from 1 to 4


def test_round_half_up():
    assert round_half_up(72.5) == 73 and round_half_up(72.49) == 72 and round_half_up(0.5) == 1


def test_benchmarks_match_without_bracketed_notes():
    a = Benchmark(name="COCO Karpathy test (BLIP ViT-B)", metric="CIDEr", value=1, source=SOURCE)
    b = Benchmark(name="coco  karpathy test (ViT-L, 129M)", metric="cider", value=1, source=SOURCE)
    c = Benchmark(name="COCO Karpathy test", metric="BLEU-4", value=1, source=SOURCE)
    assert benchmark_key(a) == benchmark_key(b) != benchmark_key(c)


def _bench(name, value, higher=True):
    return {"benchmarks": [{"name": name, "metric": "m", "value": value, "higher_is_better": higher, "source": SOURCE}]}


def test_quality_is_share_of_the_best_and_needs_a_peer():
    entries = [make_entry("a", signals=_bench("X", 50)), make_entry("b", signals=_bench("X", 100)), make_entry("c", signals=_bench("Y", 7))]
    groups = benchmark_groups(entries)
    assert quality_rows(entries[0], groups, 2)[0].score == 50
    assert quality_rows(entries[1], groups, 2)[0].score == 100
    alone = quality_rows(entries[2], groups, 2)[0]
    assert alone.score is None and "no other entry" in alone.note


def test_quality_lower_is_better_and_nonpositive_values():
    entries = [make_entry("a", signals=_bench("E", 4, False)), make_entry("b", signals=_bench("E", 2, False))]
    groups = benchmark_groups(entries)
    assert quality_rows(entries[0], groups, 2)[0].score == 50
    entries = [make_entry("a", signals=_bench("Z", -1)), make_entry("b", signals=_bench("Z", 1)), make_entry("c", signals=_bench("Z", 0))]
    groups = benchmark_groups(entries)
    assert [quality_rows(e, groups, 2)[0].score for e in entries] == [0, 100, 50]


def test_recency_halves_every_half_life():
    day = dt.date(2024, 1, 1)
    assert recency_score(day, day, 365) == 100
    assert recency_score(day, day + dt.timedelta(days=365), 365) == pytest.approx(50)
    assert recency_score(day, day - dt.timedelta(days=10), 365) == 100  # dates after the reference count as new


def test_licences_case_insensitive_and_unknown_is_not_scored():
    eco = EcosystemSettings()
    assert licence_score("mit", eco) == 100 and licence_score("CC-BY-NC-4.0", eco) == 50
    assert licence_score("My own terms", eco) is None


def test_weighted_mean_leaves_missing_out():
    rows = [SignalRow("a", "1", 80.0, 1.0, ""), SignalRow("b", None, None, 3.0, ""), SignalRow("c", "2", 20.0, 3.0, "")]
    assert weighted_mean(rows) == pytest.approx((80 + 60) / 4)
    assert weighted_mean([SignalRow("b", None, None, 3.0, "")]) is None
