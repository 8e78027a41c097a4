"""Bad input that a fixture folder cannot hold well (odd file names, huge files): one clear line
each, never a traceback, and an exit code that agrees with the words."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import INVALID, run_cli

DONE = "1 problem found; nothing was written.\n"


def check(config: Path, *args: str):
    return run_cli("check", "--config", str(config), *args)


def entry(site: Path, name: str) -> Path:
    """A copy of a valid entry under another file name."""
    target = site / "content/models" / name
    shutil.copy(site / "content/models/gamma-writer.md", target)
    return target


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk space."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


@pytest.mark.parametrize("name, message", [
    ("trailing-newline\n.md", "the file name contains U+000A LINE FEED at character 17: rename it with lower-case letters, digits and dashes"),
    ("Upper-Case.md", "file name 'Upper-Case.md' is not a valid slug: rename it with lower-case letters, digits and dashes"),
    ("spoof\u202egnp.md", "the file name contains U+202E RIGHT-TO-LEFT OVERRIDE at character 6: rename it with lower-case letters, digits and dashes"),
    ("zero\u200bwidth.md", "the file name contains U+200B ZERO WIDTH SPACE at character 5: rename it with lower-case letters, digits and dashes"),
    ("a" * 240 + ".md", "the slug (the file name without '.md') is 240 characters; the limit is 100: rename the file"),
])
def test_bad_file_names(basic_site: Path, name: str, message: str) -> None:
    path = entry(basic_site.parent, name)
    result = check(basic_site)
    shown = f"content/models/{name}".replace("\n", "\\n").replace("\u202e", "\\u202e").replace("\u200b", "\\u200b")
    assert (result.exit_code, result.stderr) == (1, f"{shown}: {message}\n{DONE}")
    assert path.exists()  # nothing is lost


def test_slugs_at_the_limit_build(basic_site: Path, tmp_path: Path) -> None:
    """100 characters is allowed: the comparison of two such entries ('<a>-vs-<b>', 204
    characters) is still a valid folder name."""
    one, two = "a" * 100, "b" * 100
    entry(basic_site.parent, f"{one}.md")
    path = entry(basic_site.parent, f"{two}.md")
    path.write_text(path.read_text("utf-8").replace("tasks:", f"compare_with: [{one}]\ntasks:", 1), "utf-8")
    result = run_cli("build", "--config", str(basic_site), "--output", str(tmp_path / "out"), "--no-search")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out/compare" / f"{one}-vs-{two}" / "index.html").is_file()


def test_an_entry_over_the_size_limit(basic_site: Path) -> None:
    sparse(basic_site.parent / "content/models/huge.md", 300 * 1024 * 1024)
    result = check(basic_site)
    assert (result.exit_code, result.stderr) == (
        1, f"content/models/huge.md:1:1: the file is {300 * 1024 * 1024} bytes, more than the limit of 262144: shorten it\n{DONE}")


@pytest.mark.parametrize("place", ["check", "build"])
def test_an_asset_over_the_size_limit(basic_site: Path, tmp_path: Path, place: str) -> None:
    sparse(basic_site.parent / "assets/video.mp4", 21 * 1024 * 1024)
    output = ["--output", str(tmp_path / "out"), "--no-search"] if place == "build" else []
    result = run_cli(place, "--config", str(basic_site), *output)
    assert (result.exit_code, result.stderr) == (
        1, f"assets/video.mp4: the asset is 21 MiB; the limit is 20 MiB: make it smaller, or host it elsewhere and link to it\n{DONE}")
    assert not (tmp_path / "out").exists()


def with_sample(site: Path, image: Path) -> None:
    path = site / "content/models/gamma-writer.md"
    sample = f"samples:\n  - {{image: ../media/{image.name}, credit: Someone, license: CC0-1.0}}\n"
    path.write_text(path.read_text("utf-8").replace("\n---\n", "\n" + sample + "---\n", 1), "utf-8")


def test_a_sample_image_over_the_size_limit(basic_site: Path, tmp_path: Path) -> None:
    image = sparse(basic_site.parent / "content/media/huge.jpg", 40 * 1000 * 1000)
    with_sample(basic_site.parent, image)
    result = run_cli("build", "--config", str(basic_site), "--output", str(tmp_path / "out"), "--no-search")
    assert (result.exit_code, result.stderr) == (
        1, "content/media/huge.jpg: sample image is 40.0 MB, over the 31 MB limit: save it smaller (at most 2048 px on the "
           f"long side is plenty) (sample 1 of content/models/gamma-writer.md)\n{DONE}")
    assert not (tmp_path / "out").exists()


def test_a_bad_sample_image_fails_under_github_format_too() -> None:
    result = run_cli("check", "--format", "github", cwd=INVALID / "bad-sample-image")
    assert result.exit_code == 1
    assert result.stdout == (
        "::error file=content/media/notes.png::not an image (its bytes are no JPEG, PNG or WebP data): "
        "replace it with a real image file (sample 1 of content/models/sampled.md)\n")


def test_github_annotations_cannot_be_forged_from_a_file_name(basic_site: Path) -> None:
    """A file name with a newline, ',' or '::' must not start a second workflow command."""
    entry(basic_site.parent, "x\n::error file=a,line=1::forged.md")
    result = check(basic_site, "--format", "github")
    assert result.exit_code == 1
    [line] = result.stdout.splitlines()
    assert line.startswith("::error file=content/models/x\\n%3A%3Aerror file=a%2Cline=1%3A%3Aforged.md::")


@pytest.mark.parametrize("settings, message", [
    ("kinds:\n  models: {label: \"Mo\u202edel\", plural: Models}\n",
     "unfragile.yaml:2:19: 'kinds.models.label': contains U+202E RIGHT-TO-LEFT OVERRIDE at character 3: remove it"),
    ("tasks:\n  " + "t" * 101 + ": {label: Long}\n",
     "unfragile.yaml:1:1: '" + "t" * 20 + "...' is 101 characters; the limit is 100"),
    ("captions: {store: ../../elsewhere}\n",
     "unfragile.yaml:1:19: 'captions.store': '../../elsewhere' must be a folder inside the site, relative to unfragile.yaml (e.g. captions)"),
    ("repository: {url: \"https://github.com/example/fixture\\n\"}\n",
     "unfragile.yaml:1:19: 'repository.url': must be an http(s) URL such as https://github.com/org/catalog"),
])
def test_bad_settings(tmp_path: Path, settings: str, message: str) -> None:
    (tmp_path / "unfragile.yaml").write_text(settings, "utf-8")
    result = check(tmp_path / "unfragile.yaml")
    assert (result.exit_code, result.stderr) == (1, f"{message}\n{DONE}")


def test_new_refuses_a_slug_over_the_limit(basic_site: Path) -> None:
    result = run_cli("new", "--config", str(basic_site), "model", "c" * 101)
    assert (result.exit_code, result.stderr) == (1, f"{'c' * 20}...: the slug is 101 characters; the limit is 100: choose a shorter one\n{DONE}")
    assert not list((basic_site.parent / "content/models").glob("ccc*"))


def test_a_file_name_that_is_not_utf8(basic_site: Path) -> None:
    folder = os.fsencode(basic_site.parent / "content/models")
    with open(folder + b"/bad\xff.md", "w", encoding="utf-8") as handle:
        handle.write("---\ntitle: T\n---\n")
    for output_format, stream, line in (
        ("text", "stderr", "content/models/bad\\udcff.md: file name 'bad\\udcff.md' is not a valid slug: "
                           "rename it with lower-case letters, digits and dashes"),
        ("github", "stdout", "::error file=content/models/bad\\udcff.md::file name 'bad\\udcff.md' is not a valid slug: "
                             "rename it with lower-case letters, digits and dashes"),
    ):
        result = check(basic_site, "--format", output_format)
        assert result.exit_code == 1
        assert getattr(result, stream).splitlines()[0] == line
