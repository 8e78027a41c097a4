"""A test run that skips browser tests ends with a banner naming them (tests/banner.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

TESTS = '''
import pytest

pytestmark = pytest.mark.browser

@pytest.fixture
def chromium():
    pytest.skip("Chromium is not installed: apt-get install chromium")

def test_search_page(chromium):
    pass

def test_heatmaps(chromium):
    pass
'''


def run_pytest(folder: Path) -> str:
    (folder / "conftest.py").write_text("from tests.banner import pytest_terminal_summary  # noqa: F401\n")
    (folder / "pytest.ini").write_text("[pytest]\nmarkers =\n    browser: a real browser\n")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                            cwd=folder, capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    return result.stdout


def test_skipped_browser_tests_get_a_banner(tmp_path: Path) -> None:
    (tmp_path / "test_pages.py").write_text(TESTS)
    out = run_pytest(tmp_path)
    assert "2 BROWSER TESTS SKIPPED" in out
    assert "reason: Chromium is not installed: apt-get install chromium" in out
    assert "  skipped: test_pages.py::test_search_page" in out and "  skipped: test_pages.py::test_heatmaps" in out
    assert "were not tried in a real browser" in out


def test_no_banner_when_nothing_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "test_pages.py").write_text(TESTS.replace('pytest.skip("Chromium is not installed: apt-get install chromium")', "return 1"))
    out = run_pytest(tmp_path)
    assert "2 passed" in out and "BROWSER" not in out
