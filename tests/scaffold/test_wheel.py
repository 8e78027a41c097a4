"""The built wheel, installed (not editable) in a fresh virtualenv, is all a site owner needs.

It runs exactly what a newcomer runs from an empty folder, `unfragile init site`, `cd site`,
`unfragile build`, `unfragile check --strict`, then builds this repository's example site with
the installed package. The wheel's dependencies come from the package index (pip's cache makes a
second run quick): the virtualenv sees nothing of the test environment's packages, so a missing
dependency or a file left out of the wheel fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLE = ("unfragile.yaml", "content", "captions", "layouts", "assets", "shapes")


def run(*args, cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    args = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w", dist, ROOT]
    if _has_setuptools():
        args.insert(4, "--no-build-isolation")  # the build backend is already here: no download
    run(*args, cwd=dist)
    [built] = dist.glob("unfragile_ssg-*.whl")
    return built


def _has_setuptools() -> bool:
    try:
        import setuptools  # noqa: F401
    except ImportError:
        return False
    return True


def test_the_wheel_carries_the_theme_and_the_scaffold(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    theme = ROOT / "src" / "unfragile_ssg" / "theme"
    scaffold = ROOT / "src" / "unfragile_ssg" / "scaffold" / "site"
    for folder in (theme, scaffold):
        expected = {"unfragile_ssg/" + p.relative_to(ROOT / "src" / "unfragile_ssg").as_posix()
                    for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
        assert expected and expected <= set(names), sorted(expected - set(names))
    assert "unfragile_ssg/__main__.py" in names


@pytest.mark.slow
def test_installed_wheel_starts_builds_and_checks_a_new_site(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    run(bin_dir / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel, cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    where = run(bin_dir / "python", "-c", "import unfragile_ssg; print(unfragile_ssg.__file__)", cwd=tmp_path, env=env).stdout
    assert where.startswith(str(env_dir))  # the installed copy, not this checkout

    empty = tmp_path / "empty"
    empty.mkdir()
    run("unfragile", "init", "site", cwd=empty, env=env)
    site = empty / "site"
    run("unfragile", "build", cwd=site, env=env)
    checked = run("unfragile", "check", "--strict", cwd=site, env=env)
    assert "0 warnings" in checked.stderr
    assert (site / "public" / "models" / "example-captioner" / "index.html").is_file()
    assert (site / "public" / "pagefind" / "pagefind.js").is_file()
    version = run(bin_dir / "python", "-m", "unfragile_ssg", "--version", cwd=site, env=env).stdout
    assert version.startswith("unfragile, version ")

    example = tmp_path / "example"  # this repository's example site, built by the installed package
    example.mkdir()
    for name in EXAMPLE:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, example / name)
    built = run("unfragile", "build", "--strict", cwd=example, env=env)
    assert "warning" not in built.stderr and "Built " in built.stdout
    assert (example / "public" / "models" / "blip-image-captioning-base" / "index.html").is_file()


def test_the_sdist_carries_the_theme_and_the_scaffold(tmp_path: Path) -> None:
    import tarfile

    pytest.importorskip("setuptools")
    run(sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_sdist({str(tmp_path)!r})", cwd=ROOT)
    [sdist] = tmp_path.glob("unfragile_ssg-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    package = ROOT / "src" / "unfragile_ssg"
    for folder in (package / "theme", package / "scaffold" / "site"):
        expected = {p.relative_to(ROOT).as_posix() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
        assert expected and expected <= names, sorted(expected - names)
    assert "MANIFEST.in" in names and "src/unfragile_ssg/__main__.py" in names
