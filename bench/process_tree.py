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
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.02


@dataclass
class Usage:
    wall: float  # seconds
    cpu: float  # seconds, user + system, the whole tree
    peak_mb: float  # largest sum of PSS over the tree's processes, in MiB
    samples: int


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


def run_measured(command: list[str], cwd: Path | None = None, env: dict | None = None) -> Usage:
    """Run ``command`` to its end (its output discarded, its errors raised) and measure it."""
    peak, samples, done = [0], [0], threading.Event()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_pss_kb(process.pid))
            samples[0] += 1
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    errors = process.stderr.read()  # until it closes: the command has ended, or closed it
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    process.stderr.close()
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}:\n{errors.decode(errors='replace')[-3000:]}")
    return Usage(wall, usage.ru_utime + usage.ru_stime, peak[0] / 1024, samples[0])
