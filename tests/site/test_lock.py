"""One build at a time per output folder: the second is told who holds the lock; a lock left
by a killed build is taken over; the survivor's output is a complete build."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import tree
from unfragile_ssg.errors import SiteError
from unfragile_ssg.site.lock import lock_path, output_lock


def build_command(site: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "unfragile_ssg.cli", "build", "--config", str(site), "--no-search", "-j", "1", *extra]


def locked_message(site: Path, pid: int, command: str = "unfragile build") -> str:
    return (f"another build of {site.parent} into {site.parent / 'public'} is running: PID {pid} ({command}); "
            "wait for it or stop it")


def clean_build(site: Path, tmp_path: Path) -> dict[str, bytes]:
    """What a build of the site alone writes (a copy of the site, so no cache is shared)."""
    copy = tmp_path / "clean"
    shutil.copytree(site.parent, copy, ignore=shutil.ignore_patterns(".*", "public"))
    result = subprocess.run(build_command(copy / site.name), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return tree(copy / "public")


def is_locked(output: Path) -> bool:
    descriptor = os.open(lock_path(output), os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def stopped_while_building(site: Path) -> subprocess.Popen:
    """A build stopped (SIGSTOP) at a moment it holds the lock."""
    output = site.parent / "public"
    for _attempt in range(10):
        process = subprocess.Popen(build_command(site), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            path = lock_path(output)
            if path.exists() and path.read_text().startswith(f"{process.pid}\n"):
                process.send_signal(signal.SIGSTOP)
                if is_locked(output):
                    return process
                process.send_signal(signal.SIGCONT)  # it released the lock just before it stopped
                break
            time.sleep(0.002)
        process.wait(timeout=60)
    raise AssertionError("no build was caught holding the lock in 10 tries")


def test_a_second_build_is_refused_while_the_first_runs(basic_site: Path, tmp_path: Path) -> None:
    first = stopped_while_building(basic_site)
    try:
        second = subprocess.run(build_command(basic_site), capture_output=True, text=True, timeout=60)
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode == 1
    assert locked_message(basic_site, first.pid) in second.stderr
    assert "Traceback" not in second.stderr
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert tree(basic_site.parent / "public") == clean_build(basic_site, tmp_path)


def test_two_builds_started_together(basic_site: Path, tmp_path: Path) -> None:
    processes = [subprocess.Popen(build_command(basic_site), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    outcomes = [(p.pid, p.wait(timeout=120), p.stderr.read()) for p in processes]
    # whether they overlapped is up to the scheduler; what each says and leaves is not
    assert 0 in [code for _, code, _ in outcomes]
    for pid, code, err in outcomes:
        assert "Traceback" not in err
        if code != 0:
            other = next(p for p, _, _ in outcomes if p != pid)
            assert code == 1 and locked_message(basic_site, other) in err, err
    assert tree(basic_site.parent / "public") == clean_build(basic_site, tmp_path)


def test_a_lock_left_by_a_killed_build_is_taken_over(basic_site: Path, tmp_path: Path) -> None:
    killed = stopped_while_building(basic_site)
    killed.kill()  # SIGKILL: no chance to release anything
    killed.wait(timeout=60)
    assert lock_path(basic_site.parent / "public").read_text().startswith(f"{killed.pid}\n")  # its name is still there
    result = subprocess.run(build_command(basic_site), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert tree(basic_site.parent / "public") == clean_build(basic_site, tmp_path)


def test_the_lock_is_per_output_folder_and_shared_within_a_process(tmp_path: Path) -> None:
    site = tmp_path / "site"
    with output_lock(site / "public", site, "unfragile serve"):
        assert lock_path(site / "public").read_text() == f"{os.getpid()}\nunfragile serve\n"
        with output_lock(site / "public", site, "unfragile build"):  # serve's own builds
            assert lock_path(site / "public").read_text() == f"{os.getpid()}\nunfragile serve\n"
        with output_lock(site / "other", site, "unfragile build"):
            pass
        holder = subprocess.run(
            [sys.executable, "-c", "import sys; from pathlib import Path; from unfragile_ssg.site.lock import output_lock\n"
             "from unfragile_ssg.errors import SiteError\n"
             "try:\n    output_lock(Path(sys.argv[1]), Path(sys.argv[2]), 'unfragile build').__enter__()\n"
             "except SiteError as e:\n    print(e)", str(site / "public"), str(site)],
            capture_output=True, text=True, timeout=60)
        assert holder.stdout.strip().endswith(f"another build of {site} into {site / 'public'} is running: "
                                              f"PID {os.getpid()} (unfragile serve); wait for it or stop it")
    assert not lock_path(site / "public").exists()  # released, and nothing left beside the output


def test_a_holder_that_ended_leaving_its_workers_is_waited_for(tmp_path: Path, monkeypatch) -> None:
    """A killed build's forked workers keep the lock until they end: the next build waits for
    them (briefly) instead of naming a process that no longer exists."""
    monkeypatch.setattr("unfragile_ssg.site.lock.ENDED_HOLDER_GRACE_S", 0.3)
    output = tmp_path / "site" / "public"
    output.parent.mkdir(parents=True)
    worker = subprocess.Popen(  # holds the lock, as a worker forked by a build would, under a dead PID's name
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         "d = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\nfcntl.flock(d, fcntl.LOCK_EX)\n"
         "os.write(d, b'999999999\\nunfragile build\\n')\nprint('locked', flush=True)\ntime.sleep(float(sys.argv[2]))",
         str(lock_path(output)), "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline() == "locked\n"
        with pytest.raises(SiteError, match=r"has ended \(PID 999999999\), but processes it started still hold the lock"):
            with output_lock(output, output.parent, "unfragile build"):
                pass
    finally:
        worker.kill()
        worker.wait()
    with output_lock(output, output.parent, "unfragile build"):  # the worker gone, the lock is free
        assert is_locked(output)


CONTENDER = """
import sys, time
from pathlib import Path
from unfragile_ssg.errors import SiteError
from unfragile_ssg.site.lock import output_lock
output, log = Path(sys.argv[1]), Path(sys.argv[2])
taken = 0
while taken < 15:
    try:
        with output_lock(output, output.parent, "contender"):
            with log.open("a") as handle:
                handle.write("in\\n")
                handle.flush()
                time.sleep(0.002)
                handle.write("out\\n")
            taken += 1
    except SiteError:
        time.sleep(0.001)
"""


def test_the_lock_excludes_while_its_file_is_removed_and_made_again(tmp_path: Path) -> None:
    """Each holder removes the lock file as it lets go; a process that was waiting on the
    removed file must not think it holds the lock."""
    output, log = tmp_path / "site" / "public", tmp_path / "log"
    contenders = [subprocess.Popen([sys.executable, "-c", CONTENDER, str(output), str(log)]) for _ in range(4)]
    assert [p.wait(timeout=120) for p in contenders] == [0] * 4
    assert log.read_text().split() == ["in", "out"] * 60  # never two holders at once
    assert not lock_path(output).exists()
