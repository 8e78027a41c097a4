"""Shared fixtures: fixture sites copied to a temporary folder, and the CLI run in-process."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from unfragile_ssg.cli import main

from .banner import pytest_terminal_summary  # noqa: F401  (a loud banner when browser tests were skipped)

FIXTURES = Path(__file__).parent / "fixtures"
SITES = FIXTURES / "sites"
INVALID = FIXTURES / "invalid"
ROOT = Path(__file__).parent.parent


@pytest.fixture
def basic_site(tmp_path: Path) -> Path:
    """A writable copy of the basic fixture site; returns its settings file."""
    target = tmp_path / "site"
    shutil.copytree(SITES / "basic", target, ignore=shutil.ignore_patterns("expected"))
    return target / "unfragile.yaml"


def run_cli(*args: str, cwd: Path | None = None):
    """Run ``unfragile ARGS`` in-process; returns click's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return runner.invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(previous)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, launched once per session for every browser test. Playwright's sync
    API runs one event loop per thread: a second ``sync_playwright()`` while this one is open
    fails ("using Playwright Sync API inside the asyncio loop"), so tests ask for this fixture
    rather than starting their own."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed: apt-get install chromium (Debian's package; Playwright cannot download its own browser here)")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (never 'playwright install': the tests use Debian's chromium)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()
