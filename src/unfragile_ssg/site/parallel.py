"""Spread work over the cores with forked workers that inherit the build's state.

Forking lets workers read the catalog, templates and fragments without pickling them;
only the items of work and the results cross process boundaries.
"""

from __future__ import annotations

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


class Background:
    """``function(*args)`` in a forked process while this one goes on; ``result()`` waits
    for it and returns its value, or raises what it raised. The arguments are inherited, not
    pickled; only the outcome crosses back, through a pipe. A process that dies without an
    outcome (killed, out of memory) raises ChildProcessError rather than leaving ``result()``
    waiting. Without fork, it runs at once."""

    def __init__(self, function: Callable[..., Result], *args: Any):
        self._process = None
        if "fork" not in multiprocessing.get_all_start_methods():
            self._value = function(*args)
            return
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_run_and_send, args=(sender, function, args), daemon=True)
        self._process.start()
        sender.close()  # this side only reads: the pipe ends when the child's end closes

    def result(self) -> Any:
        if self._process is None:
            return self._value
        try:
            try:
                ok, outcome = self._receiver.recv()
            except EOFError:
                raise ChildProcessError(f"a background process ended without a result (exit code {self._wait()})") from None
        finally:
            self.close()
        if not ok:
            raise outcome
        return outcome

    def _wait(self) -> int | None:
        assert self._process is not None
        self._process.join()
        return self._process.exitcode

    def close(self) -> None:
        """Stop the process if it is still running (its result no longer wanted)."""
        if self._process is not None:
            self._process.terminate()
            self._process.join()
            self._receiver.close()
            self._process = None


def _run_and_send(sender, function: Callable, args: tuple) -> None:
    try:
        outcome = (True, function(*args))
    except BaseException as error:  # noqa: BLE001 -- sent back and raised in the parent, whatever it is
        outcome = (False, error)
    try:
        sender.send(outcome)
    except Exception as error:  # noqa: BLE001 -- the value or the error could not be pickled
        sender.send((False, ChildProcessError(f"a background process's outcome could not be sent back: {error}")))
    finally:
        sender.close()
