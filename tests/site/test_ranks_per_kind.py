"""Ranks that fit each kind: the `kinds` fixture site's prompt collections are not scored on
Quality. Its ranks, breakdowns, methodology page and list pages, read back from the built HTML."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import SITES
from unfragile_ssg.config import load_project
from unfragile_ssg.render import context
from unfragile_ssg.pages import plan
from unfragile_ssg.site.build import BuildOptions, build_site


def _build(tmp: Path) -> Path:
    site = tmp / "site"
    shutil.copytree(SITES / "kinds", site, ignore=shutil.ignore_patterns("expected", ".unfragile-cache"))
    output = tmp / "public"
    build_site(load_project(site / "unfragile.yaml"), BuildOptions(output=output, search=False, jobs=1, captions=False))
    return output


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("kinds"))


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _page(built: Path, path: str) -> str:
    return (built / path / "index.html").read_text("utf-8")


def _tables(page: str) -> dict[str, list[list[str]]]:
    """The ranked and the unranked table of a list page, each as rows of cell texts."""
    found = {}
    for classes, body in re.findall(r'<table class="(ranked(?: unranked)?)">(.*?)</table>', page, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.S)
        found["unranked" if "unranked" in classes else "ranked"] = [
            [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]
    return found


def _name(cell: str) -> str:
    return re.match(r"(\w+ \w+)", cell).group(1)


def test_a_prompt_collection_ranks_on_the_sub_scores_that_apply(built):
    page = _page(built, "prompts/gamma-prompts")
    rows = {_text(label): _text(cells) for label, cells in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', page, re.S)}
    assert rows["Quality"] == "does not apply to prompts"
    assert rows["UnfragileRank"] == "62/100 (from 3 of 3 sub-scores that apply to prompts)"
    adoption, ecosystem, graph = int(rows["Adoption"]), int(rows["Ecosystem"]), int(rows["Match Graph"])
    # Quality's weight is left out: the mean of the three that apply
    assert 62 == int((0.3 * adoption + 0.2 * ecosystem + 0.2 * graph) / 0.7 + 0.5)
    breakdown = _text(page.split('<div class="breakdown">')[1])
    assert "weighted mean of the sub-scores that exist (3 of 3 sub-scores that apply to prompts):" in breakdown
    assert ("Quality: does not apply to prompts" in breakdown and
            "Quality does not apply to prompts: not computed, and not part of the rank" in breakdown)
    assert "140" not in breakdown.split("Quality: ")[1].split("Ecosystem: ")[0]  # its benchmark is not scored


def test_a_prompt_collection_without_adoption_is_not_ranked(built):
    page = _page(built, "prompts/zeta-prompts")
    assert ("rests on 2 of 3 sub-scores that apply to prompts; UnfragileRank needs at least 3: insufficient data"
            in _text(page))


def test_a_prompts_benchmark_is_no_yardstick_for_models(built):
    # Gamma Prompts reports COCO CIDEr 140; were it counted, Alpha's 130 would score 92.86, not 100
    breakdown = _text(_page(built, "models/alpha-captioner").split('<div class="breakdown">')[1])
    assert "value ÷ best × 100, best in the catalog 130, 2 entries report it" in breakdown
    assert "Quality = one signal: 100, shown as 100." in breakdown


def test_the_comparison_says_what_does_not_apply(built):
    page = _page(built, "compare/alpha-captioner-vs-gamma-prompts")
    verdict = _text(re.search(r'<section class="verdict".*?<p>(.*?)</p>', page, re.S).group(1))
    assert "Gamma Prompts is not scored on quality: it does not apply to prompts." in verdict
    assert "Gamma Prompts's rank rests on 3 of 3 sub-scores that apply to prompts." in verdict
    assert "insufficient data for quality" not in verdict


def test_the_methodology_page_shows_the_rule_of_each_kind(built):
    page = _page(built, "methodology")
    table = re.search(r'<h3 id="kinds">.*?<table class="kinds">(.*?)</table>', page, re.S).group(1)
    rows = {_text(head): [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]
            for head, cells in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', table, re.S)}
    assert rows["Models"] == ["30%", "30%", "20%", "20%", "3 of 4", "3 of 4"]
    # the weights of the three that apply, added up to 100%
    assert rows["Prompts"] == ["43%", "does not apply", "29%", "29%", "3 of 3", "1 of 2"]
    text = _text(page)
    assert "methodology version 2-test" in text
    assert "Quality does not apply to prompts: a benchmark result recorded for one of them is shown on its page" in text


def test_list_pages_number_ranked_entries_within_their_list_and_list_the_others_apart(built):
    home = _tables(_page(built, ""))
    assert [(r[0], _name(r[1])) for r in home["ranked"]] == [
        ("1", "Alpha Captioner"), ("2", "Epsilon Writer"), ("3", "Gamma Prompts"), ("4", "Beta Captioner")]
    assert [(_name(r[0]), r[2], r[3]) for r in home["unranked"]] == [
        ("Delta Captioner", "2 of 4 sub-scores; a rank needs 3", "Adoption, Quality"),
        ("Zeta Prompts", "2 of 3 sub-scores that apply to prompts; a rank needs 3", "Adoption"),
    ]
    # the task's list is numbered 1..n, not by places in the whole catalog (1, 3, 4)
    task = _tables(_page(built, "tasks/image-captioning"))
    assert [(r[0], _name(r[1])) for r in task["ranked"]] == [
        ("1", "Alpha Captioner"), ("2", "Gamma Prompts"), ("3", "Beta Captioner")]
    assert [_name(r[0]) for r in task["unranked"]] == ["Delta Captioner", "Zeta Prompts"]
    prompts = _page(built, "prompts")
    assert "2 in all: 1 ranked, 1 not ranked yet." in _text(prompts)
    tables = _tables(prompts)
    assert [r[0] for r in tables["ranked"]] == ["1"] and [_name(r[0]) for r in tables["unranked"]] == ["Zeta Prompts"]
    assert '<h2 id="not-ranked">Not ranked yet: insufficient evidence</h2>' in prompts
    for page in (_page(built, ""), _page(built, "tasks/image-captioning"), prompts):
        unranked = page.split("Not ranked yet: insufficient evidence")[1]
        assert '<th scope="col">#</th>' not in unranked and "/100" not in unranked.split("</table>")[0]


def test_pagination_runs_through_both_lists(tmp_path, monkeypatch):
    monkeypatch.setattr(plan, "LIST_PAGE_SIZE", 2)
    monkeypatch.setattr(context, "LIST_PAGE_SIZE", 2)
    monkeypatch.setattr(context, "HOME_SHOWN", 1)
    built = _build(tmp_path)  # the build's link check follows every link, anchors included
    pages = [_page(built, p) for p in ("tasks/image-captioning", "tasks/image-captioning/page/2", "tasks/image-captioning/page/3")]
    tables = [_tables(p) for p in pages]
    assert [[r[0] for r in t.get("ranked", [])] for t in tables] == [["1", "2"], ["3"], []]
    assert [[_name(r[0]) for r in t.get("unranked", [])] for t in tables] == [[], ["Delta Captioner"], ["Zeta Prompts"]]
    assert 'rel="next"' in pages[0] and 'rel="prev"' in pages[2] and 'rel="next"' not in pages[2]
    assert "Page 2 of 3" in pages[1]
    home = _page(built, "")
    assert [_name(r[0]) for r in _tables(home)["unranked"]] == ["Delta Captioner"]
    # the rest are on the pages of their kinds where the unranked entries start
    assert ('all of them in the lists of <a href="/models/page/2/#not-ranked">models</a>, '
            '<a href="/prompts/#not-ranked">prompts</a>') in home
