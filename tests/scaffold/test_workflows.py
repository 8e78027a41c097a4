"""The GitHub workflows: those `unfragile init` writes and this repository's own pass actionlint,
and the two sets run the same steps."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from unfragile_ssg.scaffold import scaffold_files

WORKFLOWS = ("captions.yml", "check.yml", "deploy.yml", "evidence.yml")
ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
needs_actionlint = pytest.mark.skipif(ACTIONLINT is None, reason="actionlint is not installed: pip install -e '.[test]'")


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([ACTIONLINT, "-no-color", *map(str, files)], capture_output=True, text=True, timeout=60)


def written_workflows(folder: Path) -> list[Path]:
    paths = []
    for relative, data in scaffold_files().items():
        if relative.startswith(".github/workflows/"):
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            paths.append(path)
    return paths


@needs_actionlint
def test_this_repositorys_workflows_pass_actionlint() -> None:
    files = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert [f.name for f in files] == list(WORKFLOWS)
    result = actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_actionlint
def test_the_workflows_init_writes_pass_actionlint(tmp_path: Path) -> None:
    files = written_workflows(tmp_path)
    assert sorted(f.name for f in files) == list(WORKFLOWS)
    result = actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_actionlint
def test_actionlint_does_catch_a_broken_workflow(tmp_path: Path) -> None:
    """The checks above can fail: an unknown input and a bad expression are reported."""
    [check] = [f for f in written_workflows(tmp_path) if f.name == "check.yml"]
    text = check.read_text().replace("python-version:", "python-versio:").replace("${{ runner.os }}", "${{ runner.oss }}", 1)
    check.write_text(text)
    result = actionlint(check)
    assert result.returncode == 1
    assert 'input "python-versio" is not defined' in result.stdout and "runner.oss" in result.stdout


def steps(text: str) -> list[tuple[str, str]]:
    """Each step's action (without the checkout-specific install) or unfragile command."""
    found = []
    for job in yaml.safe_load(text)["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                found.append(("uses", step["uses"]))
            for line in step.get("run", "").splitlines():
                if re.match(r"\s*unfragile ", line):
                    found.append(("run", line.strip()))
    return found


@pytest.mark.parametrize("name", WORKFLOWS)
def test_this_repository_runs_the_steps_init_writes(name: str) -> None:
    ours = (ROOT / ".github" / "workflows" / name).read_text("utf-8")
    scaffold = scaffold_files()[f".github/workflows/{name}"].decode()
    assert steps(ours) == steps(scaffold)
    assert yaml.safe_load(ours)[True] == yaml.safe_load(scaffold)[True]  # the same triggers ('on')


def test_the_workflows_do_what_the_readme_says() -> None:
    files = {name: scaffold_files()[f".github/workflows/{name}"].decode() for name in WORKFLOWS}
    assert ("run", "unfragile check --format github --sandbox") in steps(files["check.yml"])
    assert "actions/cache/restore@v4" in files["check.yml"]  # a pull request never saves the cache
    deploy = yaml.safe_load(files["deploy.yml"])
    assert deploy["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert ("run", 'unfragile build --base-url "$BASE_URL"') in steps(files["deploy.yml"])
    assert "BASE_URL: ${{ steps.pages.outputs.base_url }}/" in files["deploy.yml"]
    assert [s for s in steps(files["deploy.yml"]) if s[0] == "uses"][-2:] == [
        ("uses", "actions/upload-pages-artifact@v3"), ("uses", "actions/deploy-pages@v4")]
    evidence = yaml.safe_load(files["evidence.yml"])
    assert evidence[True]["schedule"] == [{"cron": "23 4 * * 1"}]
    assert "unfragile evidence pull" in files["evidence.yml"]
    assert ("uses", "peter-evans/create-pull-request@v7") in steps(files["evidence.yml"])
    assert "path: ~/.cache/huggingface" in files["captions.yml"]
    assert ("run", "unfragile captions --strict --device cpu") in steps(files["captions.yml"])
    for text in files.values():  # every action pinned to a major version
        for _, action in (s for s in steps(text) if s[0] == "uses"):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", action), action
