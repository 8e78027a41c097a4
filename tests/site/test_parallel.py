"""Forked work: results in order, errors raised here, and a dead process never waited on forever."""

from __future__ import annotations

import os
import signal
import time

import pytest

from unfragile_ssg.site.parallel import Background, fork_map


def test_fork_map_keeps_the_order_of_the_items() -> None:
    assert list(fork_map(lambda x: x * x, list(range(500)), jobs=2)) == [x * x for x in range(500)]


def test_background_returns_the_value_and_raises_the_error() -> None:
    base = 10  # inherited by the forked process, not pickled
    assert Background(lambda x: x + base, 5).result() == 15
    with pytest.raises(ValueError, match="no good"):
        Background(lambda: (_ for _ in ()).throw(ValueError("no good"))).result()


def test_a_background_process_that_dies_raises_instead_of_hanging() -> None:
    with pytest.raises(ChildProcessError, match="without a result"):
        Background(lambda: os.kill(os.getpid(), signal.SIGKILL)).result()


def test_closing_stops_a_background_process(tmp_path) -> None:
    marker = tmp_path / "pid"

    def wait_forever() -> None:
        marker.write_text(str(os.getpid()))
        signal.pause()

    job = Background(wait_forever)
    while not marker.exists() or not marker.read_text():
        time.sleep(0.01)
    job.close()
    with pytest.raises(ProcessLookupError):
        os.kill(int(marker.read_text()), 0)  # stopped and reaped
