"""Each folder of tests/fixtures/invalid is a site with one kind of mistake; `unfragile check`
must report exactly the text in its expected.txt (regenerate with `make golden` after an
intended change of wording)."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import INVALID, run_cli

CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


def check_copy(case: str, tmp_path, *options: str):
    """``unfragile check`` on a copy of the case (a check writes its cache beside the settings)."""
    site = tmp_path / case
    shutil.copytree(INVALID / case, site, ignore=shutil.ignore_patterns(".unfragile-cache"))
    return run_cli("check", *options, cwd=site)


@pytest.mark.parametrize("case", CASES)
def test_check_reports_exact_errors(case: str, tmp_path) -> None:
    result = check_copy(case, tmp_path)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr == (INVALID / case / "expected.txt").read_text("utf-8")


@pytest.mark.parametrize("case", CASES)
def test_build_writes_nothing_for_invalid_site(case: str, tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(INVALID / case, site, ignore=shutil.ignore_patterns(".unfragile-cache"))
    # twice: the second build finds the valid entries in the entry cache, and must say the same
    first = run_cli("build", "--config", str(site / "unfragile.yaml"), "--output", str(tmp_path / "out"))
    second = run_cli("build", "--config", str(site / "unfragile.yaml"), "--output", str(tmp_path / "out"))
    assert first.exit_code == second.exit_code == 1
    assert first.stderr == second.stderr == (INVALID / case / "expected.txt").read_text("utf-8")
    assert not (tmp_path / "out").exists()


def test_github_format_annotates_lines(tmp_path) -> None:
    result = check_copy("unknown-field", tmp_path, "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::error file=content/models/typo.md,line=8,col=1::unknown field 'licence' (did you mean 'license'?): remove it or fix its name",
        "::error file=content/models/typo.md,line=10,col=3::unknown field 'homepgae' in 'links' (did you mean 'homepage'?): remove it or fix its name",
    ]


def test_problems_without_a_line_or_a_file_print_without_zeros(tmp_path) -> None:
    from unfragile_ssg.errors import Problem

    assert str(Problem("content/modles", 0, 0, "not a kind")) == "content/modles: not a kind"
    assert str(Problem("", 0, 0, "unknown caption option(s): x")) == "unknown caption option(s): x"
    assert Problem("content/modles", 0, 0, "not a kind").github() == "::error file=content/modles::not a kind"
    assert Problem("", 0, 0, "no file", "warning").github() == "::warning::no file"
    assert Problem("a,b:c.md", 3, 0, "x").github() == "::error file=a%2Cb%3Ac.md,line=3,col=1::x"
    result = check_copy("unknown-kind", tmp_path, "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.startswith("::error file=content/modles::folder 'modles' is not a kind of entry")


def test_every_problem_of_a_file_in_one_run(tmp_path) -> None:
    """Schema errors do not hide the checks across entries (tasks, compare_with, samples)."""
    result = check_copy("all-in-one-run", tmp_path)
    lines = result.stderr.splitlines()
    assert any("'pricing': must be one of" in line for line in lines)
    assert any("unknown task 'image-captionng'" in line for line in lines)
    assert any("compare_with names no entry: 'good-modle'" in line for line in lines)
    assert not any("'broken'" in line for line in lines)  # an unreadable file still holds its slug
    assert not any("unknown task 'Not_A_Slug'" in line for line in lines)  # the schema has said it already
    assert any("sample image 'missing.png' not found" in line for line in lines)  # although the sample lacks its licence
    assert lines[:-1] == sorted(lines[:-1], key=lambda line: (line.split(":")[0], *map(int, line.split(":")[1:3])))


def test_fields_without_any_fence_are_told_to_add_both(tmp_path) -> None:
    site = tmp_path / "no-fences"
    shutil.copytree(INVALID / "no-opening-fence", site)
    entry = site / "content/models/fence.md"
    entry.write_text(entry.read_text("utf-8").replace("---\n", ""), "utf-8")
    result = run_cli("check", cwd=site)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("content/models/fence.md:1:1: the fields have no '---' lines around them: "
                                             "add a line '---' before the fields and one after them")
