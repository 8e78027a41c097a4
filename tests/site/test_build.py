"""The build as a whole: determinism, atomicity, incremental reuse, base paths, CLI."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli, tree
from unfragile_ssg.config import load_project
from unfragile_ssg.errors import SiteError
from unfragile_ssg.site.build import BuildMemory, BuildOptions, build_site


def build(config: Path, output: Path, **options) -> object:
    return build_site(load_project(config), BuildOptions(output=output, search=False, **options))


def test_two_builds_are_byte_identical(basic_site: Path, tmp_path: Path) -> None:
    build(basic_site, tmp_path / "one")
    shutil.rmtree(basic_site.parent / ".unfragile-cache")
    build(basic_site, tmp_path / "two", jobs=1)
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_pretty_urls_and_canonical_pairs(basic_site: Path, tmp_path: Path) -> None:
    build(basic_site, tmp_path / "out")
    files = tree(tmp_path / "out")
    assert "models/alpha-captioner/index.html" in files
    assert "prompts/beta-prompts/index.html" in files
    # one page per unordered pair, whichever side named the other
    assert [f for f in files if f.startswith("compare/") and f.endswith(".html") and f != "compare/index.html"] == [
        "compare/alpha-captioner-vs-beta-prompts/index.html"
    ]
    assert any(re.fullmatch(r"assets/style\.[0-9a-f]{10}\.css", f) for f in files)


def test_failed_build_leaves_previous_site_untouched(basic_site: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    build(basic_site, output)
    before = tree(output)
    entry = basic_site.parent / "content" / "models" / "alpha-captioner.md"
    entry.write_text(entry.read_text("utf-8").replace("pricing: free", "pricing: gratis"), "utf-8")
    with pytest.raises(SiteError) as caught:
        build(basic_site, output)
    assert "pricing" in str(caught.value)
    assert tree(output) == before
    assert not list(tmp_path.glob(".out.*"))  # no staging folder left behind


def test_template_error_fails_whole_build_and_keeps_old_site(basic_site: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    build(basic_site, output)
    before = tree(output)
    layouts = basic_site.parent / "layouts"
    layouts.mkdir()
    (layouts / "compare.html").write_text("{% extends 'base.html' %}{% block content %}{{ no_such_variable }}{% endblock %}", "utf-8")
    with pytest.raises(SiteError) as caught:
        build(basic_site, output)
    assert "compare/alpha-captioner-vs-beta-prompts/index.html" in str(caught.value)
    assert "no_such_variable" in str(caught.value)
    assert tree(output) == before


def test_incremental_rebuild_renders_only_what_changed(basic_site: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    first = build(basic_site, output)
    assert first.stats.reused == 0
    again = build(basic_site, output)
    assert again.stats.rendered == 0 and again.stats.reused == again.pages
    entry = basic_site.parent / "content" / "models" / "gamma-writer.md"
    entry.write_text(entry.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    third = build(basic_site, output)
    assert 0 < third.stats.rendered < third.pages
    assert "One more line." in (output / "models/gamma-writer/index.html").read_text("utf-8")
    # the same bytes as a clean build of the changed input
    shutil.rmtree(basic_site.parent / ".unfragile-cache")
    build(basic_site, tmp_path / "clean")
    assert tree(output) == tree(tmp_path / "clean")


def test_builds_in_one_process_hand_the_entry_cache_on_in_memory(basic_site: Path, tmp_path: Path, monkeypatch) -> None:
    """As ``serve`` does: the second build reads no cache from disk and parses only the edited file."""
    from unfragile_ssg.content import entries as loader  # the loader reads the files

    output, memory = tmp_path / "out", BuildMemory()
    build(basic_site, output, memory=memory)
    shutil.rmtree(basic_site.parent / ".unfragile-cache" / "entries")  # only the memory can know the entries now
    parsed: list[str] = []
    real = loader.read_entry
    monkeypatch.setattr(loader, "read_entry", lambda project, kind, path, *data: parsed.append(path.name) or real(project, kind, path, *data))
    entry = basic_site.parent / "content" / "models" / "gamma-writer.md"
    entry.write_text(entry.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    build(basic_site, output, memory=memory)
    assert parsed == ["gamma-writer.md"]
    assert sorted(p.name for p in (basic_site.parent / ".unfragile-cache" / "entries").iterdir())  # saved again
    monkeypatch.undo()
    shutil.rmtree(basic_site.parent / ".unfragile-cache")
    build(basic_site, tmp_path / "clean")
    assert tree(output) == tree(tmp_path / "clean")


def test_a_file_saved_again_while_it_is_parsed_is_not_cached_under_its_old_bytes(basic_site: Path, tmp_path: Path,
                                                                                 monkeypatch) -> None:
    from unfragile_ssg.content import entries as loader  # the loader reads the files

    output = tmp_path / "out"
    build(basic_site, output)
    entry = basic_site.parent / "content" / "models" / "gamma-writer.md"
    saved = entry.read_text("utf-8").replace("Gamma writes.", "Gamma as hashed.")
    entry.write_text(saved, "utf-8")
    real = loader.read_entry

    def save_again_first(project, kind, path, *data):
        if path.name == entry.name:  # the editor saves once more after the build hashed the file
            path.write_text(saved.replace("Gamma as hashed.", "Gamma as parsed."), "utf-8")
        return real(project, kind, path, *data)

    monkeypatch.setattr(loader, "read_entry", save_again_first)
    build(basic_site, output)
    monkeypatch.undo()
    entry.write_text(saved, "utf-8")  # back to the bytes the second build hashed
    build(basic_site, output)
    page = (output / "models/gamma-writer/index.html").read_text("utf-8")
    assert "Gamma as hashed." in page and "Gamma as parsed." not in page


def test_a_failed_build_in_one_process_does_not_spoil_the_next(basic_site: Path, tmp_path: Path) -> None:
    output, memory = tmp_path / "out", BuildMemory()
    build(basic_site, output, memory=memory)
    entry = basic_site.parent / "content" / "models" / "gamma-writer.md"
    good = entry.read_text("utf-8")
    entry.write_text(good.replace("title:", "title: [unclosed", 1), "utf-8")
    with pytest.raises(SiteError):
        build(basic_site, output, memory=memory)
    entry.write_text(good + "\nFixed.\n", "utf-8")
    build(basic_site, output, memory=memory)
    shutil.rmtree(basic_site.parent / ".unfragile-cache")
    build(basic_site, tmp_path / "clean")
    assert tree(output) == tree(tmp_path / "clean")


def test_removed_entry_disappears_from_output(basic_site: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    build(basic_site, output)
    content = basic_site.parent / "content"
    (content / "prompts" / "beta-prompts.md").unlink()
    alpha = content / "models" / "alpha-captioner.md"
    alpha.write_text(alpha.read_text("utf-8").replace("compare_with: [beta-prompts]", "compare_with: []"), "utf-8")
    for _ in range(2):  # from a copy of the output, then from the recycled folder the first build left
        build(basic_site, output)
        assert not (output / "prompts" / "beta-prompts").exists()  # nor its now empty folder
        assert not (output / "compare" / "alpha-captioner-vs-beta-prompts").exists()
        assert (output / "prompts").is_dir()


def test_base_url_sub_path_prefixes_every_internal_link(basic_site: Path, tmp_path: Path) -> None:
    text = basic_site.read_text("utf-8").replace("https://fixture.example/", "https://fixture.example/sub/path/")
    basic_site.write_text(text, "utf-8")
    output = tmp_path / "out"
    build(basic_site, output)
    for name, data in tree(output).items():
        if name.endswith(".html"):
            html = data.decode("utf-8")
            for link in re.findall(r'(?:href|src)="(/[^"]*)"', html):
                assert link.startswith("/sub/path/"), (name, link)
            if name != "404.html":  # the 404 page names no canonical address
                assert '<link rel="canonical" href="https://fixture.example/sub/path/' in html


def test_untrusted_content_is_escaped(basic_site: Path, tmp_path: Path) -> None:
    build(basic_site, tmp_path / "out")
    html = (tmp_path / "out" / "models/alpha-captioner/index.html").read_text("utf-8")
    assert "<script>alert" not in html
    assert "&lt;with brackets&gt;" in html
    assert 'href="javascript:' not in html


def test_refuses_to_replace_a_folder_it_did_not_write(basic_site: Path, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete", "utf-8")
    with pytest.raises(SiteError, match="not written by unfragile"):
        build(basic_site, precious)
    assert (precious / "thesis.txt").read_text("utf-8") == "do not delete"


def test_comparison_page_has_the_seed_structure(basic_site: Path, tmp_path: Path) -> None:
    build(basic_site, tmp_path / "out")
    html = (tmp_path / "out" / "compare/alpha-captioner-vs-beta-prompts/index.html").read_text("utf-8")
    for row in ("Type", "UnfragileRank", "Adoption", "Quality", "Ecosystem", "Match Graph", "Pricing", "Capabilities", "Times Matched"):
        assert f'<th scope="row">{row}</th>' in html
    assert "Side-by-side comparison to help you choose." in html
    assert "10 decomposed" in html
    assert "+2 more capabilities" in html  # 10 capabilities, 8 shown
    assert "Search the match graph →" in html


def test_cli_build_prints_summary_and_timings(basic_site: Path, tmp_path: Path) -> None:
    result = run_cli("build", "--config", str(basic_site), "--output", str(tmp_path / "out"), "--no-search", "-v")
    assert result.exit_code == 0, result.output
    assert re.search(r"Built \d+ pages \(\d+ rendered, 0 unchanged\) and \d+ files into .* in [\d.]+ s", result.stdout)
    assert "load" in result.stdout and "render: pages" in result.stdout
    peaks = [float(m) for m in re.findall(r"peak +([\d.]+) MB", result.stdout)]  # memory after each stage
    assert len(peaks) >= 8 and peaks == sorted(peaks) and peaks[0] > 10


def test_cli_new_writes_a_valid_skeleton(basic_site: Path, tmp_path: Path) -> None:
    result = run_cli("new", "model", "gamma-model", "--config", str(basic_site))
    assert result.exit_code == 0, result.output
    assert (basic_site.parent / "content/models/gamma-model.md").is_file()
    check = run_cli("check", "--config", str(basic_site))
    assert check.exit_code == 0, check.output
    again = run_cli("new", "model", "gamma-model", "--config", str(basic_site))
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_cli_schema_exports_json_schema_with_tasks(basic_site: Path) -> None:
    import json

    result = run_cli("schema", "--config", str(basic_site))
    schema = json.loads(result.stdout)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["tasks"]["items"]["enum"] == ["image-captioning", "prompt-engineering", "text-generation"]
    assert set(schema["required"]) >= {"title", "summary", "publisher", "license", "pricing", "tasks"}


def test_missing_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("build", cwd=tmp_path)
    assert result.exit_code == 1
    assert "settings file not found" in result.stderr


def test_check_writes_nothing_into_the_project_but_its_cache(basic_site: Path) -> None:
    before = sorted(p.relative_to(basic_site.parent) for p in basic_site.parent.rglob("*"))
    result = run_cli("check", "--config", str(basic_site))
    assert result.exit_code == 0, result.output
    after = sorted(p.relative_to(basic_site.parent) for p in basic_site.parent.rglob("*"))
    assert [p for p in after if p.parts[0] != ".unfragile-cache"] == before
    assert not (basic_site.parent / ".unfragile-cache" / "builds").exists()  # no output, so no output's manifest


def test_check_says_what_it_rendered_what_the_cache_knew_and_what_has_no_links(basic_site: Path) -> None:
    def counts() -> tuple[int, ...]:
        result = run_cli("check", "--config", str(basic_site))
        assert result.exit_code == 0, result.output
        found = re.search(r"OK: (\d+) pages checked \((\d+) HTML pages rendered, (\d+) unchanged since the cache, "
                          r"(\d+) without links to check\)", result.stderr)
        assert found, result.stderr
        return tuple(int(n) for n in found.groups())

    pages, rendered, known, without_links = counts()
    assert (rendered, known) == (pages - without_links, 0) and 0 < without_links < pages  # cold: every HTML page
    assert counts() == (pages, 0, rendered, without_links)  # again: the cache knows them all
