"""The built example site: every comparison page's verdict is checked against that page's own table."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from unfragile_ssg.catalog.model import SUBSCORE_LABELS, SUBSCORES, Scores
from unfragile_ssg.config import load_project
from unfragile_ssg.site.build import BuildOptions, build_site

from .helpers import check_verdict

ROOT = Path(__file__).resolve().parents[2]


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def _number(cell: str) -> float | None:
    if "insufficient data" in cell or "does not apply to " in cell:
        return None
    return float(re.match(r"\d+", cell).group(0))


def _scope(cell: str) -> str | None:
    """The kind a "does not apply" cell names, if it is one."""
    m = re.fullmatch(r"does not apply to (.+)", cell)
    return m.group(1) if m else None


def read_comparison(page: str) -> tuple[list[str], list[Scores], str]:
    """Titles, scores as the table shows them, and the verdict, read back from the HTML."""
    head = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    titles = [_text(c) for c in re.findall(r"<th scope=\"col\">(.*?)</th>", head, re.S)][1:]
    rows = {}
    for label, cells in re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", page, re.S):
        rows[_text(label)] = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]
    sides = []
    for i in range(2):
        cells = {n: rows[SUBSCORE_LABELS[n]][i] for n in SUBSCORES}
        values = {n: _number(cell) for n, cell in cells.items()}
        scopes = {_scope(cell) for cell in cells.values()} - {None}
        assert len(scopes) <= 1, cells  # one side is one kind
        applies = tuple(n for n, cell in cells.items() if _scope(cell) is None)
        rank_cell = rows["UnfragileRank"][i]
        scope = next(iter(scopes), None)
        if scope is None:  # every sub-score applies: the kind is named only where some do not
            m = re.search(r"that apply to ([^)]+)\)", rank_cell)
            assert m is None, rank_cell
        side = Scores(rank=_number(rank_cell), applies=applies, scope=scope or "", **values)
        if side.rank is not None and side.basis < len(SUBSCORES):
            assert rank_cell.endswith(f"(from {side.basis_text})"), rank_cell
        sides.append(side)
    verdict = _text(re.search(r"<section class=\"verdict\"[^>]*>.*?<p>(.*?)</p>", page, re.S).group(1))
    return titles, sides, verdict


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "public"
    project = load_project(ROOT / "unfragile.yaml")
    build_site(project, BuildOptions(output=out, captions=False, search=False, jobs=1,
                                     cache_dir=tmp_path_factory.mktemp("cache")))
    return out


def test_every_comparison_page_says_only_what_its_table_shows(built):
    margin = load_project(ROOT / "unfragile.yaml").settings.scoring.tie_margin
    pages = sorted((built / "compare").glob("*-vs-*/index.html"))
    assert pages
    for path in pages:
        titles, (first, second), verdict = read_comparison(path.read_text("utf-8"))
        check_verdict(verdict, titles[0], first, titles[1], second, margin)


def test_seed_pair_page_and_methodology(built):
    page = (built / "compare/ai-notes-vs-blip-image-captioning-base/index.html").read_text("utf-8")
    titles, _, _ = read_comparison(page)
    assert titles[0] == "BLIP image captioning (base)"  # the ranked side first
    methodology = (built / "methodology/index.html").read_text("utf-8")
    assert "Worked example: BLIP image captioning (base)" in methodology
    entry = (built / "models/blip-image-captioning-base/index.html").read_text("utf-8")
    assert "Why this rank" in entry and "arxiv.org" in entry
