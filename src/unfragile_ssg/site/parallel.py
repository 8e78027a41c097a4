"""Spread work over the cores with forked workers that inherit the build's state.

Forking lets workers read the catalog, templates and fragments without pickling them;
only the items of work and the results cross process boundaries.
"""

from __future__ import annotations

import multiprocessing
from typing import Callable, Iterator, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

_task: Callable | None = None


def _run_chunk(chunk: list) -> list:
    assert _task is not None
    return [_task(item) for item in chunk]


def fork_map(task: Callable[[Item], Result], items: Sequence[Item], jobs: int, minimum: int = 200) -> Iterator[Result]:
    """``map(task, items)`` in order, on ``jobs`` forked workers when there are at least
    ``minimum`` items (below that, forking costs more than it saves)."""
    global _task
    if jobs <= 1 or len(items) < minimum or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(task, items)
        return
    size = max(1, len(items) // (jobs * 8))
    chunks = [list(items[i : i + size]) for i in range(0, len(items), size)]
    _task = task
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for results in pool.imap(_run_chunk, chunks):
                yield from results
    finally:
        _task = None
