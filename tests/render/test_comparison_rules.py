"""The compare page's rules (render.comparison) and its script (theme/assets/compare.js): the
script, run under node on the same scores, writes the verdicts catalog.verdict writes and the
cells partials/score_rows.html renders; the rules it reads are the build's."""

from __future__ import annotations

import html
import json
import random
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import SITES, run_cli
from unfragile_ssg.catalog.model import SUBSCORE_LABELS, SUBSCORES, Scores, basis_text
from unfragile_ssg.catalog.verdict import PHRASES, client_phrasing, shown, verdict
from unfragile_ssg.config import load_project
from unfragile_ssg.pages.urls import Linker
from unfragile_ssg.render.assets import collect_assets
from unfragile_ssg.render.comparison import CELL_TEXTS, ROWS
from unfragile_ssg.render.engine import make_environment

SCRIPT = Path(__file__).resolve().parents[2] / "src" / "unfragile_ssg" / "theme" / "assets" / "compare.js"
NODE = shutil.which("node") or shutil.which("nodejs")
TITLES = ["BLIP image captioning (base)", "ai-notes (swyx)", "Model and Co", "vs", "Leads", "They", "Neither 2", "A",
          "{title} & <b>", "A"]  # braces and markup are text; "A" twice: two entries may share a title
SCOPES = ["models", "prompts", "MCP servers"]
PRICING = {"free": "Free", "freemium": "Freemium", "paid": "Paid", "contact": "Contact sales"}


def run_node(cases: list[dict]) -> list[dict]:
    """Each case's verdict and cells, as compare.js makes them (one node process for all)."""
    if NODE is None:
        pytest.skip("node is not installed (Debian's nodejs; `make test` needs it for npm too)")
    harness = f"""
const compare = require({json.dumps(str(SCRIPT))});
const html = part => typeof part === "string" ? esc(part)
  : `<${{part.tag}}${{part.cls ? ` class="${{part.cls}}"` : ""}}>${{esc(part.text)}}</${{part.tag}}>`;
const esc = text => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&#34;").replace(/'/g, "&#39;");
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(cases.map(c => ({{
  verdict: compare.verdict(c.first, c.second, c.rules),
  cells: [c.first, c.second].map(s => compare.cells(s, c.rules).map(cell => ({{numeric: cell.numeric, html: cell.parts.map(html).join("")}}))),
}}))));
"""
    result = subprocess.run([NODE, "-e", harness], input=json.dumps(cases), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def random_scores(rng: random.Random) -> Scores:
    applies = SUBSCORES if rng.random() < 0.5 else tuple(n for n in SUBSCORES if rng.random() < 0.6) or ("match_graph",)

    def value():
        return rng.choice([None, float(rng.randint(0, 100)), rng.uniform(0, 100), rng.randint(0, 99) + 0.5])

    return Scores(rank=value(), applies=applies, scope=rng.choice(SCOPES), **{n: value() if n in applies else None for n in SUBSCORES})


def client_side(title: str, scores: Scores, times_matched: int, capabilities: int, pricing: str) -> dict:
    """A side as compare.js's side() makes it from catalog.json: the shown numbers, not the scores."""
    return {
        "slug": "x", "title": title, "kind": "k", "shown": {"rank": shown(scores.rank), **{n: shown(scores.get(n)) for n in SUBSCORES}},
        "applies": list(scores.applies), "scope": scores.scope,
        "basisTexts": [basis_text(n, scores.applies, scores.scope) for n in range(len(scores.applies) + 1)],
        "kindLabel": "Model", "pricing": PRICING[pricing], "capabilities": capabilities, "timesMatched": times_matched,
        "comparedWith": [],
    }


def page_cells(env, sides: list[SimpleNamespace]) -> list[list[dict]]:
    """Each side's cells as the static page renders them (partials/score_rows.html)."""
    text = env.get_template("partials/score_rows.html").render(sides=sides)
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", text)
    assert [html.unescape(label) for label, _ in rows] == [row.label for row in ROWS]
    cells = [re.findall(r"<td( class=\"num\")?>(.*?)</td>", tds) for _, tds in rows]
    return [[{"numeric": bool(row[i][0]), "html": row[i][1]} for row in cells] for i in range(len(sides))]


@pytest.fixture(scope="module")
def env():
    project = load_project(SITES / "basic" / "unfragile.yaml")
    assets, _ = collect_assets(project)
    return make_environment(project, Linker("/", "https://example.org/"), assets)


def test_the_script_writes_the_verdicts_and_cells_the_pages_do(env) -> None:
    rng = random.Random(14)
    cases, expected = [], []
    for n in range(1500):
        first, second = random_scores(rng), random_scores(rng)
        if n % 7 == 0:  # the same shown numbers on both sides: ties everywhere
            second = Scores(**{**first.__dict__, "scope": second.scope})
        titles = rng.sample(TITLES, 2)
        margin = rng.choice([0.0, 1.0, 2.0, 2.5, 5.0])
        facts = [(rng.randint(0, 40), rng.randint(0, 12), rng.choice(list(PRICING))) for _ in range(2)]
        rules = {"verdict": client_phrasing(margin), "subscores": list(SUBSCORES), "rows": [
            {k: v for k, v in row.__dict__.items() if v is not None} for row in ROWS], "cells": CELL_TEXTS}
        cases.append({"first": client_side(titles[0], first, *facts[0]), "second": client_side(titles[1], second, *facts[1]), "rules": rules})
        sides = [SimpleNamespace(kind_label="Model", scores=s, pricing=PRICING[f[2]], times_matched=f[0],
                                 entry=SimpleNamespace(kept=SimpleNamespace(capability_count=f[1])))
                 for s, f in ((first, facts[0]), (second, facts[1]))]
        expected.append({"verdict": verdict(titles[0], first, titles[1], second, margin), "cells": page_cells(env, sides)})
    got = run_node(cases)
    mismatches = [(case["first"]["title"], case["second"]["title"], want, have)
                  for case, want, have in zip(cases, expected, got) if want != have]
    assert mismatches == [], mismatches[:3]
    # the cases reach every phrase the verdict has (a phrase no case used would be untested)
    said = " ".join(e["verdict"] for e in expected)
    for key in ("overall_missing", "overall_tie", "overall_close", "overall_lead", "leads", "ties", "close", "missing",
                "neither_missing", "inapplicable", "neither_inapplicable", "basis"):
        fixed = re.split(r"\{\w+\}", PHRASES[key])
        assert all(piece in said for piece in fixed), key


def test_a_changed_phrase_changes_both_the_page_and_the_script(monkeypatch) -> None:
    """One source: the script has no words of its own, it writes what the rules hand it."""
    monkeypatch.setitem(PHRASES, "overall_tie", "{first} = {second} at {score}.")
    a = Scores(rank=50, adoption=1, quality=2, ecosystem=3, match_graph=4)
    side = client_side("A", a, 1, 1, "free")
    rules = {"verdict": client_phrasing(2.0), "subscores": list(SUBSCORES), "rows": [], "cells": CELL_TEXTS}
    python = verdict("A", a, "B", a, 2.0)
    assert python.startswith("A = B at 50. They are tied on adoption (1)")
    assert run_node([{"first": side, "second": side | {"title": "B"}, "rules": rules}])[0]["verdict"] == python


def test_the_compare_page_carries_the_builds_rules(basic_site: Path, tmp_path: Path) -> None:
    """The rules on /compare/: the comparison table's rows (as a comparison page shows them), the
    settings' tie margin and kinds, and URLs under the base path; catalog.json has what they read."""
    result = run_cli("build", "--config", str(basic_site), "-o", str(tmp_path / "out"), "--no-search",
                     "--base-url", "https://example.org/sub/path/")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "compare" / "index.html").read_text("utf-8")
    rules = json.loads(re.search(r'<script type="application/json" id="compare-rules">(.*?)</script>', page).group(1))
    static = next((tmp_path / "out" / "compare").glob("*-vs-*/index.html")).read_text("utf-8")
    labels = re.findall(r'<th scope="row">([^<]*)</th>', static)
    assert [row["label"] for row in rules["rows"]] == labels == ["Type", "UnfragileRank", *SUBSCORE_LABELS.values(),
                                                                  "Pricing", "Capabilities", "Times Matched"]
    # the skeleton the script fills has the same rows, before any script runs
    skeleton = re.findall(r'<tr data-cell="([a-z_]+)"><th scope="row">([^<]*)</th><td', page.split('class="versus compare-result"')[1])
    assert skeleton == [(row["cell"], row["label"]) for row in rules["rows"]]
    settings = load_project(basic_site).settings
    assert rules["verdict"]["tie_margin"] == settings.scoring.tie_margin
    assert rules["verdict"]["points"] == f"{settings.scoring.tie_margin:g} points"
    assert set(rules["kinds"]) == set(settings.kinds)
    for kind, named in settings.kinds.items():
        assert rules["kinds"][kind]["label"] == named.label and rules["kinds"][kind]["scope"] == named.noun
        assert rules["kinds"][kind]["applies"] == list(settings.scoring.applies(kind))
    assert rules["urls"] == {"catalog": "/sub/path/api/v1/catalog.json", "entry": "/sub/path/{kind}/{slug}/",
                             "pair": "/sub/path/compare/{a}-vs-{b}/"}
    assert f'src="/sub/path/assets/compare.' in page
    assert "<noscript><style>.compare-any { display: none; }</style></noscript>" in page
    catalog = json.loads((tmp_path / "out" / "api/v1/catalog.json").read_text("utf-8"))
    pair = re.search(r"compare/([a-z0-9-]+)-vs-([a-z0-9-]+)/", static.split("<link rel=\"canonical\"")[1])
    entries = {e["slug"]: e for e in catalog["entries"]}
    assert pair.group(2) in entries[pair.group(1)]["compared_with"] and pair.group(1) in entries[pair.group(2)]["compared_with"]
