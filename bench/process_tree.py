"""Measure a command as a whole process tree: wall time, CPU time of every process in it, and
the tree's peak memory as the sum of its processes' PSS.

- CPU: ``os.wait4`` reports the child's user and system time together with that of every
  descendant it waited for (Linux adds a reaped child's usage to its parent's), so forked
  workers count.
- Memory: every ``SAMPLE_SECONDS`` the tree is walked (``/proc/<pid>/task/<tid>/children``) and
  the ``Pss`` of each process read from ``/proc/<pid>/smaps_rollup``: proportional set size
  splits shared pages among the processes sharing them, so forked workers are not counted
  twice for the memory they share with their parent, as summing RSS would. The peak is the
  largest sum seen; a spike shorter than the sampling interval can be missed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.02


@dataclass
class Usage:
    wall: float  # seconds
    cpu: float  # seconds, user + system, the whole tree
    peak_mb: float  # largest sum of PSS over the tree's processes, in MiB
    samples: int
    exit_code: int = 0
    stopped: str | None = None  # why the tree was killed before its end, if it was


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, as the kernel lists each thread's children."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            threads = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for thread in threads:
            try:
                queue += [int(child) for child in Path(f"/proc/{current}/task/{thread}/children").read_text().split()]
            except OSError:
                pass
    return found


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_pss_kb(pid: int) -> int:
    return sum(pss_kb(each) for each in descendants(pid))


def tree_cpu_seconds(pid: int) -> float:
    """User and system time so far of a running tree: each live process's own, plus what it
    has collected from the children it reaped (``/proc/<pid>/stat`` fields 14-17)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for each in descendants(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def run_measured(
    command: list[str],
    cwd: Path | None = None,
    env: dict | None = None,
    *,
    log: Path | None = None,
    sample_seconds: float = SAMPLE_SECONDS,
    stop_when: Callable[[], str | None] | None = None,
    check: bool = True,
) -> Usage:
    """Run ``command`` to its end and measure it. Its output goes to ``log`` (else nowhere, with
    its errors kept for the exception). ``stop_when`` is asked at every sample; a reason it gives
    kills the whole tree and is kept in ``Usage.stopped``. With ``check``, a failure raises."""
    peak, samples, stopped, done = [0], [0], [], threading.Event()
    start = time.perf_counter()
    out = log.open("wb") if log else None
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out or subprocess.DEVNULL,
                               stderr=subprocess.STDOUT if out else subprocess.PIPE)

    def sample() -> None:
        while not done.is_set():
            tree = descendants(process.pid)
            peak[0] = max(peak[0], sum(pss_kb(each) for each in tree))
            samples[0] += 1
            reason = stop_when() if stop_when and not stopped else None
            if reason:
                stopped.append(reason)
                for each in reversed(tree):
                    try:
                        os.kill(each, signal.SIGKILL)
                    except OSError:
                        pass
            done.wait(sample_seconds)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    errors = process.stderr.read() if process.stderr else b""  # until it closes: the command has ended
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    if process.stderr:
        process.stderr.close()
    if out:
        out.close()
        errors = log.read_bytes()[-3000:]
    if check and process.returncode:
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}:\n{errors.decode(errors='replace')[-3000:]}")
    return Usage(wall, usage.ru_utime + usage.ru_stime, peak[0] / 1024, samples[0], process.returncode,
                 stopped[0] if stopped else None)
