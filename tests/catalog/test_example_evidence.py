"""The example site's evidence (issue 11): how much of the catalog it ranks and calls, and
that every signal in content/ says where it was read, and when for counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from unfragile_ssg.config import load_project
from unfragile_ssg.content.load import split_front_matter
from unfragile_ssg.site.build import BuildOptions, build_site

ROOT = Path(__file__).resolve().parents[2]
COUNTS = ("downloads", "likes", "stars", "forks", "contributors", "dependents", "citations")
DATED = ("parameters", "released", "updated")
RANK_ROW = re.compile(r'<tr><th scope="row">UnfragileRank</th>(.*?)</tr>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
NOT_ENOUGH_DATA = (
    "18 of 20 entries ranked, 45 of 51 comparisons called: no page read for issue 11 gives dated "
    "counts for ViT-GPT2 (its model-hub counts appear only on undated pages) and it shares no benchmark "
    "with another entry; the shapes captioner (trained by this project) has neither. `unfragile "
    "evidence pull` (issue 11, part 1) records their counts with the day they are read."
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("example") / "public"
    build_site(load_project(ROOT / "unfragile.yaml"), BuildOptions(
        output=out, captions=False, search=False, jobs=1, cache_dir=tmp_path_factory.mktemp("cache")))
    return out


def shown_ranks(page: str) -> list[int | None]:
    """The UnfragileRank cells of a page's first rank row: a number, or None for 'insufficient data'."""
    row = RANK_ROW.search(page)
    assert row, "no UnfragileRank row"
    ranks = []
    for cell in CELL.findall(row.group(1)):
        found = re.match(r"\s*(?:<strong>)?(\d+)/100", cell)
        ranks.append(int(found.group(1)) if found else None)
    return ranks


def entry_pages(site: Path) -> dict[str, str]:
    pages = {}
    for kind in ("models", "prompts"):
        for source in sorted((ROOT / "content" / kind).glob("*.md")):
            pages[source.stem] = (site / kind / source.stem / "index.html").read_text("utf-8")
    return pages


def comparison_pages(site: Path) -> dict[str, str]:
    return {p.parent.name: p.read_text("utf-8") for p in sorted((site / "compare").glob("*-vs-*/index.html"))}


def makes_overall_call(page: str) -> bool:
    """Both sides show a rank, so the rank claim is a lead, a close call or a tie; the verdict
    sentence must agree with the table."""
    first, second = shown_ranks(page)
    calls = first is not None and second is not None
    assert calls != ("makes no overall call" in page), "the verdict and the rank row disagree"
    return calls


def test_the_example_has_twenty_entries_and_fifty_one_comparisons(built):
    assert len(entry_pages(built)) == 20
    assert len(comparison_pages(built)) == 51


def test_at_least_18_of_20_entries_have_an_unfragile_rank(built):
    pages = entry_pages(built)
    unranked = sorted(slug for slug, page in pages.items() if shown_ranks(page)[0] is None)
    assert len(pages) - len(unranked) >= 18, f"unranked: {unranked}"


@pytest.mark.xfail(strict=True, reason=NOT_ENOUGH_DATA)
def test_at_least_nine_in_ten_comparisons_make_an_overall_call(built):
    pages = comparison_pages(built)
    silent = sorted(name for name, page in pages.items() if not makes_overall_call(page))
    assert len(pages) - len(silent) >= 0.9 * len(pages), f"no overall call: {silent}"


def test_a_comparison_calls_it_exactly_when_both_sides_are_ranked(built):
    ranked = {slug for slug, page in entry_pages(built).items() if shown_ranks(page)[0] is not None}
    for name, page in comparison_pages(built).items():
        a, b = name.split("-vs-")
        assert makes_overall_call(page) == (a in ranked and b in ranked), name


def signals_of(path: Path) -> dict:
    front, _, _ = split_front_matter(path.read_text("utf-8"))
    return (yaml.safe_load(front) or {}).get("signals") or {}


def test_every_signal_in_content_has_a_source_and_every_count_the_day_it_was_read():
    problems = []
    files = sorted((ROOT / "content").glob("*/*.md"))
    assert files
    for path in files:
        shown = path.relative_to(ROOT).as_posix()
        signals = signals_of(path)
        for name, signal in signals.items():
            items = signal if name == "benchmarks" else [signal]
            for item in items:
                if not re.match(r"https?://\S+$", str(item.get("source", ""))):
                    problems.append(f"{shown}: {name} has no source URL")
                if name in COUNTS and not re.match(r"\d{4}-\d{2}-\d{2}$", str(item.get("as_of", ""))):
                    problems.append(f"{shown}: {name} has no as_of date")
            assert name in COUNTS + DATED + ("benchmarks",), f"{shown}: unknown signal {name}"
    assert not problems, "\n".join(problems)

