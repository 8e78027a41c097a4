"""Spread work over the cores with forked workers that inherit the build's state.

Forking lets workers read the catalog, templates and fragments without pickling them;
only the items of work and the results cross process boundaries.
"""

from __future__ import annotations

import itertools
import multiprocessing
from typing import Any, Callable, Iterator, Sequence, TypeVar

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


_pending: dict[int, tuple[Callable, tuple]] = {}  # what a forked process will run, by number
_numbers = itertools.count()


def _run_pending(number: int) -> Any:
    function, args = _pending[number]
    return function(*args)


class Background:
    """``function(*args)`` in a forked process while this one goes on; ``result()`` waits
    for it (and raises what it raised). The arguments are inherited, not pickled; only the
    result crosses back. Without fork, it runs at once."""

    def __init__(self, function: Callable[..., Result], *args: Any):
        self._pool = None
        if "fork" not in multiprocessing.get_all_start_methods():
            self._value = function(*args)
            return
        number = next(_numbers)
        _pending[number] = (function, args)
        try:
            self._pool = multiprocessing.get_context("fork").Pool(1)  # the fork: it sees _pending
        finally:
            del _pending[number]
        self._async = self._pool.apply_async(_run_pending, (number,))

    def result(self) -> Any:
        if self._pool is None:
            return self._value
        try:
            return self._async.get()
        finally:
            self.close()

    def close(self) -> None:
        """Stop the process if it is still running (its result no longer wanted)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
