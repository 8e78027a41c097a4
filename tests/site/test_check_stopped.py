"""A check stopped half-way, by SIGKILL, SIGTERM or SIGINT, leaves nothing behind: it writes
no page and no temporary folder, only cache files (each replaced atomically), and the next
check says what a check from nothing says."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SITES

ENTRIES = 120  # enough pages (about 500, rendered by 2 workers) that the check is still rendering when stopped


@pytest.fixture
def big_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(SITES / "basic", site, ignore=shutil.ignore_patterns("expected"))
    model = (site / "content/models/alpha-captioner.md").read_text("utf-8")
    for i in range(ENTRIES):
        text = model.replace("title: Alpha Captioner", f"title: Alpha Captioner {i}").replace("compare_with: [beta-prompts]", "")
        (site / f"content/models/alpha-copy-{i:03d}.md").write_text(text + "\nSee [nowhere](../missing-page/).\n", "utf-8")
    return site


def start_check(site: Path, temporary: Path) -> subprocess.Popen:
    temporary.mkdir(exist_ok=True)
    environment = dict(os.environ, TMPDIR=str(temporary), TEMP=str(temporary), TMP=str(temporary))
    return subprocess.Popen([sys.executable, "-m", "unfragile_ssg.cli", "check", "--jobs", "2"], cwd=site,
                            env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop_half_way(site: Path, check: subprocess.Popen, number: int) -> tuple[int, str]:
    """Send ``number`` once the check has validated the content (its entry cache is written)
    and before it ends; skips when the machine was too quick to catch it half-way."""
    entries = site / ".unfragile-cache" / "entries"
    deadline = time.monotonic() + 120
    while not entries.exists() and check.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.2)  # into the catalog and the rendering
    check.send_signal(number)
    _, stderr = check.communicate(timeout=120)
    if check.returncode == 0:
        pytest.skip("the check ended before it could be stopped")
    return check.returncode, stderr


def files_outside_cache(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if ".unfragile-cache" not in p.parts)


def test_a_stopped_check_leaves_nothing_and_the_next_one_is_whole(big_site: Path, tmp_path: Path) -> None:
    before = files_outside_cache(big_site)
    for number in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
        shutil.rmtree(big_site / ".unfragile-cache", ignore_errors=True)
        code, stderr = stop_half_way(big_site, start_check(big_site, tmp_path / "tmp"), number)
        assert list((tmp_path / "tmp").iterdir()) == []  # no temporary folder, killed or not
        assert files_outside_cache(big_site) == before
        if number == signal.SIGKILL:
            assert code == -signal.SIGKILL
        else:
            assert "Traceback" not in stderr
            assert code == (128 + signal.SIGTERM if number == signal.SIGTERM else 1), stderr
            assert not list((big_site / ".unfragile-cache").rglob("*.tmp"))  # cache writes undone on the way out

    again = start_check(big_site, tmp_path / "tmp")  # after the SIGINT: on the cache it left
    _, stderr = again.communicate(timeout=300)
    shutil.rmtree(big_site / ".unfragile-cache")
    fresh = start_check(big_site, tmp_path / "tmp")
    _, fresh_stderr = fresh.communicate(timeout=300)
    assert again.returncode == fresh.returncode == 0

    def said(text: str) -> list[str]:  # the summary line's timing differs between runs
        return [line for line in text.splitlines() if not line.startswith("OK: ")]

    assert said(stderr) == said(fresh_stderr) and len(said(stderr)) == ENTRIES
    assert list((tmp_path / "tmp").iterdir()) == []


def test_workers_forked_during_a_check_keep_the_default_signals() -> None:
    """A Python handler in a pool worker can miss the SIGTERM of Pool.terminate() (one that
    arrives as the worker starts waiting on its queue), and the check then waits for that worker
    forever: workers die by SIGTERM at once, and leave Ctrl-C to the parent."""
    from unfragile_ssg.site.build import stopped_cleanly
    from unfragile_ssg.site.parallel import fork_map

    with stopped_cleanly():
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
        found = list(fork_map(lambda _: (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)),
                              range(4), jobs=2, minimum=1))
    assert found == [(signal.SIG_DFL, signal.SIG_IGN)] * 4
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # restored
