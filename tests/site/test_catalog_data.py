"""The catalog as data: passports, the catalog index and their schemas, the markdown twins and
llms.txt, checked against the built HTML pages they stand beside."""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import ROOT, run_cli, tree
from unfragile_ssg.config import load_project
from unfragile_ssg.content.schema import Capability
from unfragile_ssg.render.api import capability_ids, capability_uri
from unfragile_ssg.render.engine import markdown_cell, markdown_text
from unfragile_ssg.site.build import BuildOptions, build_site, check_site

SEED = "compare/ai-notes-vs-blip-image-captioning-base/"


def build(config: Path, output: Path, **options):
    return build_site(load_project(config), BuildOptions(output=output, search=False, captions=False, **options))


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("example") / "public"
    build(ROOT / "unfragile.yaml", output)
    return output


def test_every_json_file_validates_against_its_published_schema(example: Path) -> None:
    schemas = {name: json.loads((example / f"api/v1/schema/{name}.json").read_text("utf-8")) for name in ("passport", "catalog")}
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    passports = sorted((example / "api/v1/passport").glob("*.json"))
    assert len(passports) == len(list((ROOT / "content").glob("*/*.md")))
    for path in passports:
        jsonschema.validate(json.loads(path.read_text("utf-8")), schemas["passport"], cls=jsonschema.Draft202012Validator)
    catalog = json.loads((example / "api/v1/catalog.json").read_text("utf-8"))
    jsonschema.validate(catalog, schemas["catalog"], cls=jsonschema.Draft202012Validator)
    assert [e["slug"] for e in catalog["entries"]] == sorted(p.stem for p in passports)
    # a schema that accepts anything would pass the above: it must refuse a passport that is wrong
    wrong = json.loads(passports[0].read_text("utf-8"))
    wrong["scores"]["unfragile_rank"]["value"] = "high"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, schemas["passport"], cls=jsonschema.Draft202012Validator)


def test_the_schema_command_prints_the_published_schemas(example: Path) -> None:
    for flag, name in (("--passport", "passport"), ("--catalog", "catalog")):
        result = run_cli("schema", flag, "--config", str(ROOT / "unfragile.yaml"))
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout) == json.loads((example / f"api/v1/schema/{name}.json").read_text("utf-8"))


def _html_scores(page: str) -> dict[str, str]:
    """The scores table of a built entry page: row label -> cell text."""
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td[^>]*>(.*?)</td></tr>', page)
    return {label: " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", cell)).split()) for label, cell in rows}


def test_passports_agree_with_the_html_pages(example: Path) -> None:
    labels = {"adoption": "Adoption", "quality": "Quality", "ecosystem": "Ecosystem", "match_graph": "Match Graph"}
    catalog = {e["slug"]: e for e in json.loads((example / "api/v1/catalog.json").read_text("utf-8"))["entries"]}
    for path in sorted((example / "api/v1/passport").glob("*.json")):
        passport = json.loads(path.read_text("utf-8"))
        artifact = passport["artifact"]
        page = (example / f"{artifact['kind']}/{artifact['slug']}/index.html").read_text("utf-8")
        cells = _html_scores(page)
        rank = passport["scores"]["unfragile_rank"]
        if rank["value"] is None:
            assert cells["UnfragileRank"] == "insufficient data" and rank["reason"], path.name
        else:
            assert cells["UnfragileRank"].startswith(f"{round(rank['value'])}/100"), path.name
        for name, label in labels.items():
            score = passport["scores"]["subscores"][name]
            if not score["applies"]:
                assert cells[label].startswith("does not apply") and score["value"] is None and score["reason"], (path.name, name)
            elif score["value"] is None:
                assert cells[label] == "insufficient data" and score["reason"], (path.name, name)
            else:
                assert cells[label] == f"{score['value']:.0f}" == score["shown"], (path.name, name)
            assert catalog[artifact["slug"]]["scores"][name] == score["value"]
        assert catalog[artifact["slug"]]["scores"]["unfragile_rank"] == rank["value"]
        assert htmllib.unescape(re.search(r"<h1>([^<]+)</h1>", page).group(1)) == artifact["name"]
        assert len(passport["capabilities"]) == int(re.search(r"(\d+) decomposed", page).group(1))
        shown = set(re.findall(r'href="/(compare/[^"]+/)"', page.split('id="compare"', 1)[1]))
        assert {c["comparison_url"].removeprefix("https://unfragile.example.org/") for c in passport["compared_with"]} == shown
        assert f'<link rel="alternate" type="application/json" href="/api/v1/passport/{artifact["slug"]}.json">' in page
        # what the compare page builds its tables from (compare.js): the numbers as the pages show them
        entry = catalog[artifact["slug"]]
        assert entry["shown"]["unfragile_rank"] == (None if rank["value"] is None else int(rank["shown"]))
        for name in labels:
            score = passport["scores"]["subscores"][name]
            assert entry["shown"][name] == (int(score["shown"]) if score["value"] is not None else None), (path.name, name)
        assert entry["capability_count"] == len(passport["capabilities"])
        assert entry["compared_with"] == [c["slug"] for c in passport["compared_with"]]
        assert str(len(entry["compared_with"])) == cells["Times Matched"]


def test_the_seed_pairs_twin_holds_its_table_and_verdict(example: Path) -> None:
    page = (example / SEED / "index.html").read_text("utf-8")
    twin = (example / SEED / "index.md").read_text("utf-8")
    assert f'<link rel="alternate" type="text/markdown" href="/{SEED}index.md">' in page
    assert twin.startswith("# BLIP image captioning \\(base\\) vs ai-notes \\(swyx\\)\n") is False  # parentheses need no escape
    assert twin.startswith("# BLIP image captioning (base) vs ai-notes (swyx)\n")
    head = "| Feature | [BLIP image captioning (base)](/models/blip-image-captioning-base/index.md) | [ai-notes (swyx)](/prompts/ai-notes/index.md) |\n| --- | --- | --- |\n"
    assert head in twin
    table = twin.split(head, 1)[1].split("\n\n", 1)[0].splitlines()
    html_rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', page.split('<table class="versus">', 1)[1].split("</table>", 1)[0])
    assert len(table) == len(html_rows) == 9
    for line, (label, cells) in zip(table, html_rows):
        html_cells = [" ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", cells)]
        md_cells = [c.strip().replace("**", "") for c in line.strip("|").split(" | ")]
        assert md_cells == [label, *html_cells]
    verdict = htmllib.unescape(re.search(r'<h2 id="verdict">Verdict</h2>\s*<p>([^<]+)</p>', page).group(1))
    assert f"## Verdict\n\n{markdown_text(verdict)}\n" in twin
    assert "90/100" in verdict  # the seed's numbers, as the HTML page shows them
    for name in ("Image captioning, unconditional or prompted", "Fine-tuning for other domains or languages"):
        assert f". {name}\n" in twin  # capabilities of both sides, all of them (the HTML page folds some away)
    limitation = "Every image is resized straight to 384×384, with no crop and no padding, so its aspect ratio is not kept."
    assert f"<dt>Limitations</dt> <dd>{limitation}</dd>" in page and f"- **Limitations:**\n  - {limitation}\n" in twin


def test_llms_txt_lists_every_page_and_every_page_links_its_twin(example: Path) -> None:
    llms = (example / "llms.txt").read_text("utf-8")
    assert llms.startswith("# Unfragile\n\n> ")
    listed = set(re.findall(r"\]\((https://unfragile\.example\.org/[^)]*)\)", llms))
    pages = [p.relative_to(example).as_posix() for p in example.rglob("index.html")]
    assert len(pages) > 90
    for page in pages:
        folder = page.removesuffix("index.html")
        assert f"https://unfragile.example.org/{folder}index.md" in listed, page
        assert (example / folder / "index.md").is_file(), page
        assert f'<link rel="alternate" type="text/markdown" href="/{folder}index.md">' in (example / page).read_text("utf-8")
    assert "https://unfragile.example.org/api/v1/catalog.json" in listed
    for url in listed:
        assert (example / url.removeprefix("https://unfragile.example.org/")).is_file(), url


def test_urls_honour_the_base_path_and_the_output_is_deterministic(basic_site: Path, tmp_path: Path) -> None:
    text = basic_site.read_text("utf-8").replace("base_url: https://fixture.example/", "base_url: https://fixture.example/sub/path/")
    basic_site.write_text(text, "utf-8")
    first = build(basic_site, tmp_path / "one", cache_dir=tmp_path / "c1")
    build(basic_site, tmp_path / "two", cache_dir=tmp_path / "c2")
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    passport = json.loads((tmp_path / "one/api/v1/passport/alpha-captioner.json").read_text("utf-8"))
    assert passport["_links"]["self"] == "https://fixture.example/sub/path/api/v1/passport/alpha-captioner.json"
    assert passport["artifact"]["page_url"] == "https://fixture.example/sub/path/models/alpha-captioner/"
    twin = (tmp_path / "one/models/alpha-captioner/index.md").read_text("utf-8")
    assert "](/sub/path/compare/alpha-captioner-vs-beta-prompts/index.md)" in twin
    raw = (tmp_path / "one/api/v1/catalog.json").read_bytes()
    assert raw == (json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
    planned = [p for p in tree(tmp_path / "one") if (p.endswith((".html", ".md", ".json", "llms.txt")) or p.startswith("cards/"))
               and not p.startswith(("assets/", "captions/"))]
    assert first.pages == len(planned)  # pages, twins, data files and share cards: every planned file


def test_an_edit_rewrites_its_own_passport_and_twin_not_the_others(basic_site: Path, tmp_path: Path) -> None:
    output, cache = tmp_path / "out", tmp_path / "cache"
    build(basic_site, output, cache_dir=cache)
    before = tree(output)
    gamma = basic_site.parent / "content/models/gamma-writer.md"
    gamma.write_text(gamma.read_text("utf-8").replace("publisher: ", "publisher: The ", 1), "utf-8")
    result = build(basic_site, output, cache_dir=cache)
    after = tree(output)
    changed = {p for p in after if before.get(p) != after[p]}
    assert {"api/v1/passport/gamma-writer.json", "models/gamma-writer/index.md", "models/gamma-writer/index.html"} <= changed
    assert "api/v1/passport/alpha-captioner.json" not in changed and "api/v1/schema/passport.json" not in changed
    assert result.stats.reused > 0
    clean = build(basic_site, tmp_path / "clean", cache_dir=tmp_path / "clean-cache")
    assert clean.stats.rendered == clean.pages and tree(tmp_path / "clean") == after


def test_capability_uris_come_from_the_declared_id_or_the_name() -> None:
    caps = [Capability(name="Caption an image", description="d"), Capability(name="Caption an image!", description="d"),
            Capability(id="caption-an-image-2", name="Renamed", description="d")]
    # the declared id keeps its URI; the second made one steps past it
    assert capability_ids(caps) == ["caption-an-image", "caption-an-image-3", "caption-an-image-2"]
    assert capability_uri("caption-an-image") == "capability://caption.an.image"


def test_a_renamed_entry_keeps_its_capability_uris_and_an_id_pins_one(basic_site: Path, tmp_path: Path) -> None:
    build(basic_site, tmp_path / "one", cache_dir=tmp_path / "c")
    uris = [c["uri"] for c in json.loads((tmp_path / "one/api/v1/passport/alpha-captioner.json").read_text())["capabilities"]]
    assert uris == ["capability://caption.an.image"]
    models = basic_site.parent / "content/models"
    text = (models / "alpha-captioner.md").read_text("utf-8")
    (models / "alpha-captioner.md").unlink()
    (models / "alpha-renamed.md").write_text(text.replace("  - name: Caption an image\n", "  - id: caption-an-image\n    name: Describe a photo\n"), "utf-8")
    build(basic_site, tmp_path / "two", cache_dir=tmp_path / "c")
    renamed = json.loads((tmp_path / "two/api/v1/passport/alpha-renamed.json").read_text())
    assert [c["uri"] for c in renamed["capabilities"]] == uris
    assert renamed["capabilities"][0]["id"] == "alpha-renamed__caption-an-image"


def test_new_fields_show_on_the_pages_and_in_the_passport(basic_site: Path, tmp_path: Path) -> None:
    alpha = basic_site.parent / "content/models/alpha-captioner.md"
    alpha.write_text(alpha.read_text("utf-8").replace("    tasks: [image-captioning]\n", """\
    tasks: [image-captioning]
    intents: [Write alt text for a | b photos]
    best_for: [Small *sites*]
    limitations: [English only]
    requires: [A CPU]
failure_modes:
  - {mode: Miscounts people in crowds, frequency: often, mitigation: Check the numbers by hand.}
""", 1), "utf-8")
    build(basic_site, tmp_path / "out", cache_dir=tmp_path / "c")
    page = (tmp_path / "out/models/alpha-captioner/index.html").read_text("utf-8")
    assert "<dt>Limitations</dt> <dd>English only</dd>" in page and "<dt>Requires</dt> <dd>A CPU</dd>" in page
    assert '<h2 id="failure-modes">Failure modes</h2>' in page and "Miscounts people in crowds" in page
    compare = next((tmp_path / "out/compare").glob("*alpha-captioner*/index.html")).read_text("utf-8")
    assert "<dt>Best for</dt> <dd>Small <em>sites</em></dd>" in compare
    passport = json.loads((tmp_path / "out/api/v1/passport/alpha-captioner.json").read_text())
    assert passport["capabilities"][0]["limitations"] == ["English only"]
    assert passport["failure_modes"] == [{"mode": "Miscounts people in crowds", "frequency": "often", "mitigation": "Check the numbers by hand."}]
    twin = (tmp_path / "out/models/alpha-captioner/index.md").read_text("utf-8")
    assert "- **Limitations:**\n  - English only\n" in twin
    assert "- Miscounts people in crowds (often). Mitigation: Check the numbers by hand.\n" in twin
    assert "Writes one sentence about a photograph &lt;with brackets>." in twin  # raw HTML stays text, as on the page


def test_markdown_significant_characters_are_escaped_in_cells() -> None:
    assert markdown_cell("A | B *bold* [x](y) <b>") == "A \\| B \\*bold\\* \\[x\\](y) \\<b\\>"
    assert markdown_cell("") == "–"
    assert markdown_text("# not a heading\nand two lines") == "\\# not a heading and two lines"
    assert markdown_text("1. not a list") == "1\\. not a list"


def test_a_title_with_a_pipe_keeps_the_comparison_table_whole(basic_site: Path, tmp_path: Path) -> None:
    alpha = basic_site.parent / "content/models/alpha-captioner.md"
    alpha.write_text(alpha.read_text("utf-8").replace("title: Alpha Captioner", "title: Alpha | Captioner *v2*"), "utf-8")
    build(basic_site, tmp_path / "out", cache_dir=tmp_path / "c")
    twin = next((tmp_path / "out/compare").glob("*alpha-captioner*/index.md")).read_text("utf-8")
    header = next(line for line in twin.splitlines() if line.startswith("| Feature |"))
    assert "Alpha \\| Captioner \\*v2\\*" in header
    assert len(re.findall(r"(?<!\\)\|", header)) == 4  # three cells: Feature and the two sides


PROTOCOL_WARNINGS = [
    "content/models/alpha-captioner.md:19:18: capability 'Caption an image' has a description of 55 characters, fewer than 100: "
    "say how it works, precisely enough for an engineer to judge (or set 'check: {protocol: off}' in unfragile.yaml)",
    "content/models/alpha-captioner.md:18:3: 1 capability, fewer than 3: describe what else it does, one capability per job "
    "(or set 'check: {protocol: off}' in unfragile.yaml)",
    "content/models/alpha-captioner.md:18:3: no capability records a limitation: add 'limitations' where the publisher "
    "documents them (or set 'check: {protocol: off}' in unfragile.yaml)",
]


def test_protocol_checks_warn_and_fail_under_strict_where_the_site_asks(basic_site: Path) -> None:
    project = load_project(basic_site)
    assert project.settings.check.protocol == "off"
    assert check_site(project, BuildOptions()).warnings == []
    basic_site.write_text(basic_site.read_text("utf-8") + "check:\n  protocol: warn\n", "utf-8")
    warnings = [str(w) for w in check_site(load_project(basic_site), BuildOptions()).warnings]
    assert warnings[:3] == PROTOCOL_WARNINGS
    strict = run_cli("check", "--strict", "--config", str(basic_site))
    assert strict.exit_code == 1 and PROTOCOL_WARNINGS[0] in strict.stderr
    basic_site.write_text(basic_site.read_text("utf-8").replace("protocol: warn", "protocol: off"), "utf-8")  # YAML's false
    assert load_project(basic_site).settings.check.protocol == "off"


def test_the_new_skeleton_holds_the_new_fields(basic_site: Path) -> None:
    result = run_cli("new", "model", "fresh-model", "--config", str(basic_site))
    assert result.exit_code == 0, result.stderr
    text = (basic_site.parent / "content/models/fresh-model.md").read_text("utf-8")
    for field in ("intents:", "best_for:", "limitations:", "requires:", "# failure_modes:", "# id:"):
        assert field in text
    assert run_cli("check", "--strict", "--config", str(basic_site)).exit_code == 0


def test_a_twin_is_as_safe_as_its_page(basic_site: Path, tmp_path: Path) -> None:
    """The fixture's overview holds a <script> and a javascript: link: the HTML page shows both as
    text, and so does the twin, for an agent that renders markdown with HTML on."""
    build(basic_site, tmp_path / "out", cache_dir=tmp_path / "c")
    twin = (tmp_path / "out/models/alpha-captioner/index.md").read_text("utf-8")
    overview = twin.split("## Overview\n", 1)[1].split("\n## Capabilities", 1)[0]
    assert "<script>" not in twin and '&lt;script>alert("x")&lt;/script>' in overview
    assert "[a bad link]\\(javascript:alert(1))" in overview
    assert "[the source](https://github.com/example/alpha)" in overview
    assert "\n### Alpha\n" in overview  # under the twin's "## Overview", as the page puts it under its <h2>
