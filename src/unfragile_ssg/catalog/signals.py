"""From raw signals to 0–100 component scores: each rule computes and describes itself.

The methodology page and the entry breakdowns print ``describe`` texts from these same
objects, so the page cannot drift from the arithmetic.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from ..config import EcosystemSettings, LogScale, ScoringSettings
from ..content.schema import Benchmark, Signals
from ..content.validate import Entry

COUNT_LABELS = {
    "downloads": "Downloads (last month)",
    "likes": "Likes",
    "stars": "Stars",
    "forks": "Forks",
    "contributors": "Contributors",
    "dependents": "Built on it",
    "citations": "Citations",
}
LINK_LABELS = {
    "homepage": "homepage",
    "source": "source repository",
    "paper": "paper",
    "model_card": "model card",
    "docs": "documentation",
    "demo": "demo",
}


def round_half_up(value: float) -> float:
    """Whole number as a reader rounds it (72.5 -> 73), returned as a float."""
    return float(math.floor(value + 0.5))


def shown(value: float | None) -> int | None:
    """The whole number a page prints for ``value`` (the ``score`` filter: ``f"{x:.0f}"``)."""
    return None if value is None else int(f"{value:.0f}")


def thousands(value: float) -> str:
    return f"{value:,.0f}"


@dataclass(frozen=True)
class SignalRow:
    """One line of a breakdown: a raw signal, where it came from, and what it scored."""

    label: str
    value: str | None  # as shown; None: not recorded
    score: float | None  # 0–100, None: not scored
    weight: float  # weight inside the sub-score
    rule: str  # how the value became the score
    source: str | None = None
    as_of: str | None = None
    note: str = ""

    @property
    def counted(self) -> bool:
        return self.score is not None and self.weight > 0

    @property
    def score_text(self) -> str | None:
        """The row's score as breakdowns and formulas print it: up to two decimals."""
        return None if self.score is None else f"{self.score:.2f}".rstrip("0").rstrip(".")

    @property
    def source_host(self) -> str | None:
        """The source's host name, as link text ("huggingface.co")."""
        if not self.source:
            return None
        host = self.source.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        return host.removeprefix("www.")


# -- log-scaled counts -------------------------------------------------------------------


def log_score(value: int, scale: LogScale) -> float:
    low, high = math.log10(1 + scale.floor), math.log10(1 + scale.ceiling)
    return 100.0 * min(1.0, max(0.0, (math.log10(1 + value) - low) / (high - low)))


def describe_log(scale: LogScale) -> str:
    return _describe_log(scale.floor, scale.ceiling)


@lru_cache(maxsize=256)
def _describe_log(floor: int, ceiling: int) -> str:
    return (
        f"log scale: {thousands(floor)} or less scores 0, {thousands(ceiling)} or more scores 100, "
        f"linear in log10(1 + count) between"
    )


def count_rows(signals: Signals, scales: dict[str, LogScale]) -> list[SignalRow]:
    rows = []
    for name, scale in scales.items():
        count = getattr(signals, name)
        rule = describe_log(scale)
        if count is None:
            rows.append(SignalRow(COUNT_LABELS[name], None, None, scale.weight, rule, note="not recorded"))
        else:
            rows.append(
                SignalRow(COUNT_LABELS[name], thousands(count.value), log_score(count.value, scale), scale.weight, rule,
                          source=count.source, as_of=count.as_of.isoformat())
            )
    return rows


# -- benchmarks --------------------------------------------------------------------------

_NOTE = re.compile(r"\s*\([^()]*\)")


def benchmark_key(bench: Benchmark) -> tuple[str, str, bool]:
    """Results are compared when benchmark (without notes in brackets), metric and direction agree."""
    name = _NOTE.sub("", bench.name).strip()
    return (" ".join(name.casefold().split()), " ".join(bench.metric.casefold().split()), bench.higher_is_better)


def benchmark_title(bench: Benchmark) -> str:
    return f"{_NOTE.sub('', bench.name).strip()} ({bench.metric})"


@dataclass
class BenchmarkGroup:
    """Every entry's best result on one benchmark and metric."""

    title: str
    higher_is_better: bool
    results: dict[str, float]  # slug -> best value

    @cached_property
    def best(self) -> float:
        return max(self.results.values()) if self.higher_is_better else min(self.results.values())

    @cached_property
    def leaders(self) -> list[str]:
        return sorted(s for s, v in self.results.items() if v == self.best)

    @cached_property
    def ratio(self) -> bool:
        """Share of the best when every value is positive, else position between worst and best."""
        return all(v > 0 for v in self.results.values())

    @cached_property
    def span(self) -> tuple[float, float]:
        return min(self.results.values()), max(self.results.values())

    def score(self, value: float) -> float:
        if self.ratio:
            share = value / self.best if self.higher_is_better else self.best / value
            return 100.0 * min(1.0, share)
        low, high = self.span
        if high == low:
            return 100.0
        position = (value - low) / (high - low)
        return 100.0 * (position if self.higher_is_better else 1 - position)

    @cached_property
    def rule(self) -> str:
        best = f"{self.best:g}"
        if self.ratio:
            how = "value ÷ best" if self.higher_is_better else "best ÷ value"
            return f"{how} × 100, best in the catalog {best}, {len(self.results)} entries report it"
        return f"position between the worst and the best ({best}) in the catalog, {len(self.results)} entries report it"


def benchmark_groups(entries: list[Entry]) -> dict[tuple[str, str, bool], BenchmarkGroup]:
    groups: dict[tuple[str, str, bool], BenchmarkGroup] = {}
    for entry in entries:
        for bench in entry.head.signals.benchmarks:
            key = benchmark_key(bench)
            group = groups.setdefault(key, BenchmarkGroup(benchmark_title(bench), bench.higher_is_better, {}))
            old = group.results.get(entry.slug)
            better = old is None or (bench.value > old if bench.higher_is_better else bench.value < old)
            if better:
                group.results[entry.slug] = bench.value
    return groups


def quality_rows(entry: Entry, groups: dict, min_reports: int) -> list[SignalRow]:
    rows, seen = [], set()
    for bench in entry.head.signals.benchmarks:
        key = benchmark_key(bench)
        group = groups[key]
        value = f"{bench.value:g}"
        label = f"{bench.name} ({bench.metric})"
        if key in seen or group.results[entry.slug] != bench.value:
            rows.append(SignalRow(label, value, None, 0.0, "only the entry's best result on a benchmark counts",
                                  source=bench.source, note="another result of this entry on the same benchmark counts instead"))
            continue
        seen.add(key)
        if len(group.results) < min_reports:
            rows.append(SignalRow(label, value, None, 0.0, f"counts once {min_reports} entries report it",
                                  source=bench.source, note="no other entry in the catalog reports it: nothing to compare with"))
        else:
            rows.append(SignalRow(label, value, group.score(bench.value), 1.0, group.rule, source=bench.source))
    return rows


# -- ecosystem ---------------------------------------------------------------------------


def documentation_row(entry: Entry, settings: EcosystemSettings) -> SignalRow:
    links = entry.head.links
    present = [name for name in settings.documentation if getattr(links, name)]
    points = sum(settings.documentation[name] for name in present)
    rule = "points per link: " + ", ".join(f"{LINK_LABELS[n]} {p:g}" for n, p in settings.documentation.items())
    shown_value = ", ".join(LINK_LABELS[n] for n in present) or "none of these links"
    source = next((getattr(links, n) for n in present), None)
    return SignalRow("Documentation links", shown_value, min(100.0, points), settings.documentation_weight, rule, source=source)


def licence_score(licence: str, settings: EcosystemSettings) -> float | None:
    return _licence_table(tuple(settings.licences.items())).get(licence.strip().casefold())


@lru_cache(maxsize=8)
def _licence_table(licences: tuple[tuple[str, float], ...]) -> dict[str, float]:
    """Licence names folded for matching, once per table rather than once per entry."""
    return {name.casefold(): score for name, score in licences}


def licence_row(entry: Entry, settings: EcosystemSettings) -> SignalRow:
    licence = entry.head.license
    score = licence_score(licence, settings)
    rule = "score of the licence in the licence table (reuse allowed: permissive 100, copyleft 75, restricted 50 by default)"
    note = "" if score is not None else "licence not in the licence table: not scored"
    links = entry.head.links
    return SignalRow("Licence", licence, score, settings.licence_weight, rule,
                     source=links.model_card or links.source or links.homepage, note=note)


def last_activity(signals: Signals) -> tuple[str, dt.date, str] | None:
    if signals.updated is not None:
        return ("updated", signals.updated.value, signals.updated.source)
    if signals.released is not None:
        return ("released", signals.released.value, signals.released.source)
    return None


def recency_score(day: dt.date, reference: dt.date, half_life_days: int) -> float:
    age = max(0, (reference - day).days)
    return 100.0 * 0.5 ** (age / half_life_days)


def describe_recency(settings: EcosystemSettings, reference: dt.date) -> str:
    return (
        f"100 × 0.5^(days since the last update, or the release, ÷ {settings.half_life_days}); "
        f"days counted to {reference.isoformat()}"
    )


def recency_row(entry: Entry, settings: EcosystemSettings, reference: dt.date) -> SignalRow:
    found = last_activity(entry.head.signals)
    rule = describe_recency(settings, reference)
    if found is None:
        return SignalRow("Recency", None, None, settings.recency_weight, rule, note="no release or update date recorded")
    what, day, source = found
    age = max(0, (reference - day).days)
    return SignalRow("Recency", f"{what} {day.isoformat()} ({age:,} days)",
                     recency_score(day, reference, settings.half_life_days), settings.recency_weight, rule, source=source)


def reference_day(entries: list[Entry], scoring: ScoringSettings) -> dt.date | None:
    """The day recency is measured to: the setting, else the newest date recorded in the catalog."""
    if scoring.as_of is not None:
        return scoring.as_of
    days: list[dt.date] = []
    for entry in entries:
        signals = entry.head.signals
        for name in COUNT_LABELS:
            count = getattr(signals, name)
            if count is not None:
                days.append(count.as_of)
        for day in (signals.released, signals.updated):
            if day is not None:
                days.append(day.value)
    return max(days) if days else None


def weighted_mean(rows: list[SignalRow]) -> float | None:
    counted = [r for r in rows if r.counted]
    total = sum(r.weight for r in counted)
    if not counted or total <= 0:
        return None
    return sum(r.weight * r.score for r in counted) / total  # type: ignore[operator]
