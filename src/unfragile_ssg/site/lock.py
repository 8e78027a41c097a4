"""One build at a time per output folder.

A build replaces the output folder and reuses the folders beside it (``.public.staging``,
``.public.previous``); two at once would take each other's files. The lock is an advisory
``flock`` on ``.public.lock`` beside the output, which names its holder (PID and command).
The kernel releases it when the holder and every process it forked have ended, so a lock
left by a killed build is simply taken by the next one. The holder removes the file before
it lets go; a process that locked a file since removed (or replaced) tries again.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import Problem, SiteError

# a holder that has ended may leave workers still finishing (a forked pool writing its last
# pages): the lock is theirs until they have, which takes them a moment
ENDED_HOLDER_GRACE_S = 10.0

_held: dict[Path, int] = {}  # lock file -> how many times this process holds it (serve, then each build)


def lock_path(output: Path) -> Path:
    return output.parent / f".{output.name}.lock"


@contextmanager
def output_lock(output: Path, site: Path, command: str) -> Iterator[None]:
    """Hold the lock of ``output`` for the duration; a SiteError if another process holds it.
    Held again by the same process (``serve``'s builds), it is simply shared."""
    path = lock_path(output.absolute())
    if path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = _acquire(path, output, site)
    try:
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n{command}\n".encode(), 0)
        _held[path] = 1
        try:
            yield
        finally:
            del _held[path]
            path.unlink(missing_ok=True)  # while still locked: whoever waits on this file tries again
    finally:
        os.close(descriptor)  # lets go of the lock


def _acquire(path: Path, output: Path, site: Path) -> int:
    """A descriptor of the lock file at ``path``, locked by this process."""
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _wait_for_lock(descriptor, output, site)
            if _same_file(descriptor, path):
                return descriptor
        except BaseException:
            os.close(descriptor)
            raise
        os.close(descriptor)  # locked a file its holder removed as it let go: the lock is now another file's


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(descriptor)
    return (found.st_dev, found.st_ino) == (opened.st_dev, opened.st_ino)


def _wait_for_lock(descriptor: int, output: Path, site: Path) -> None:
    deadline = None
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        pid, command = _holder(descriptor)
        if pid is not None and _alive(pid):
            where = f"PID {pid}" + (f" ({command})" if command else "")
            raise SiteError(Problem("", 0, 0, f"another build of {site} into {output} is running: {where}; wait for it or stop it"))
        deadline = deadline or time.monotonic() + ENDED_HOLDER_GRACE_S
        if time.monotonic() > deadline:
            raise SiteError(Problem("", 0, 0, (
                f"another build of {site} into {output} has ended{f' (PID {pid})' if pid else ''}, but processes it started still hold "
                f"the lock {lock_path(output)}: stop them, then build again")))
        time.sleep(0.05)


def _holder(descriptor: int) -> tuple[int | None, str]:
    """The PID and command the lock file names (the holder writes them just after locking)."""
    for _attempt in range(20):
        lines = os.pread(descriptor, 4096, 0).decode("utf-8", "replace").splitlines()
        if lines and lines[0].isdigit():
            return int(lines[0]), (lines[1] if len(lines) > 1 else "")
        time.sleep(0.01)
    return None, ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
