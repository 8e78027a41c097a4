"""`unfragile init`: a new site that builds and passes `check --strict` on the first try."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image

from tests.conftest import run_cli
from unfragile_ssg import __version__
from unfragile_ssg.scaffold import SAMPLE_IMAGE, sample_image, scaffold_files

EXPECTED_FILES = [
    ".github/workflows/captions.yml", ".github/workflows/check.yml", ".github/workflows/deploy.yml",
    ".github/workflows/evidence.yml", ".gitignore", "EDITING.md", "content/media/example-shapes.png",
    "content/models/example-captioner.md", "content/prompts/example-prompts.md",
    "requirements-captions.txt", "requirements.txt", "unfragile.yaml",
]


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_new_site_builds_and_checks_strict_on_the_first_try(tmp_path: Path) -> None:
    result = run_cli("init", "site", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Created a new site in site/ (12 files).",
        "Next: cd site/ && unfragile build (or unfragile serve). For the site's editors: EDITING.md.",
    ]
    site = tmp_path / "site"
    assert files_under(site) == EXPECTED_FILES
    built = run_cli("build", "--strict", cwd=site)
    assert built.exit_code == 0 and "warning" not in built.stderr, built.output
    checked = run_cli("check", "--strict", cwd=site)
    assert checked.exit_code == 0, checked.output
    assert ", 0 warnings, in " in checked.stderr.strip().splitlines()[-1]
    public = site / "public"
    model = (public / "models/example-captioner/index.html").read_text("utf-8")
    assert "<strong>Captions pending</strong>" in model and 'class="sample-photo"' in model
    assert (public / "prompts/example-prompts/index.html").is_file()
    assert (public / "compare/example-captioner-vs-example-prompts/index.html").is_file()
    assert "insufficient data" in model  # no signals: no invented numbers


def test_settings_and_entries_are_commented_and_pin_this_version(tmp_path: Path) -> None:
    files = scaffold_files()
    settings = files["unfragile.yaml"].decode()
    assert settings.count("\n#") >= 8
    assert files["requirements.txt"].decode().splitlines()[-1] == f"unfragile-ssg=={__version__}"
    assert f"unfragile-ssg[captions]=={__version__}" in files["requirements-captions.txt"].decode()
    for entry in ("content/models/example-captioner.md", "content/prompts/example-prompts.md"):
        text = files[entry].decode()
        assert "example" in text.lower() and "signals: {}" in text  # no invented evidence
    ignored = files[".gitignore"].decode().split()
    assert {"public/", ".unfragile-cache/", ".public.previous/", ".public.staging/", ".public.lock"} <= set(ignored)
    guide = files["EDITING.md"].decode()
    for step in ("unfragile new model", "unfragile check", "pull request", "unfragile serve"):
        assert step in guide


def test_sample_image_is_a_small_deterministic_png() -> None:
    data = sample_image()
    assert data == sample_image() and data == scaffold_files()[SAMPLE_IMAGE]
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (192, 128) and len(data) < 4096
    assert image.getpixel((56, 68)) == (200, 40, 40) and image.getpixel((140, 72)) == (40, 80, 190)


def test_a_folder_that_is_not_empty_is_refused_and_left_alone(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    for name in ("notes.txt", "a.md", "b.md", "c.md"):
        (site / name).write_text("mine\n")
    result = run_cli("init", "site", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr == ("Error: site/ is not empty (it holds a.md, b.md, c.md and 1 more): choose an empty or new "
                             "folder, or pass --force to add the new site's files beside them (existing files are kept)\n")
    assert files_under(site) == ["a.md", "b.md", "c.md", "notes.txt"]


def test_force_adds_the_site_and_keeps_what_was_there(tmp_path: Path) -> None:
    (tmp_path / "EDITING.md").write_text("Our own guide.\n")
    result = run_cli("init", "--force", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Created a new site in ./ (11 files; kept 1 file(s) already there: EDITING.md)."
    assert result.stdout.splitlines()[1].startswith("Next: unfragile build")
    assert (tmp_path / "EDITING.md").read_text() == "Our own guide.\n"
    assert files_under(tmp_path) == EXPECTED_FILES


def test_a_git_repository_with_nothing_else_counts_as_empty(tmp_path: Path) -> None:
    (tmp_path / "site" / ".git").mkdir(parents=True)
    (tmp_path / "site" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert run_cli("init", "site", cwd=tmp_path).exit_code == 0
    assert (tmp_path / "site" / "unfragile.yaml").is_file()


def test_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "site").write_text("")
    result = run_cli("init", "site", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr == "Error: site/ is a file: give the folder the new site should be created in\n"


def test_version_and_python_m(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "unfragile_ssg", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"unfragile, version {__version__}"
    assert re.fullmatch(r"unfragile, version \S+\n", run_cli("--version").stdout)
