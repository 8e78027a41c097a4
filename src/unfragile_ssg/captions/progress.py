"""A one-line progress bar: done/total, rate and time left (plain lines when not a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    def __init__(self, total: int, label: str = "captions", stream: TextIO | None = None, width: int = 24):
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.done = 0
        self.start = time.perf_counter()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.show()

    def line(self) -> str:
        elapsed = time.perf_counter() - self.start
        filled = int(self.width * self.done / self.total) if self.total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        rate = self.done / elapsed if elapsed > 0 and self.done else 0.0
        left = (self.total - self.done) / rate if rate else None
        eta = _clock(left) if left is not None else "?"
        return f"{self.label} [{bar}] {self.done}/{self.total} images, {rate:.2f} images/s, {eta} left"

    def show(self) -> None:
        if self.tty:
            self.stream.write("\r" + self.line())
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def advance(self, count: int = 1) -> None:
        self.done = min(self.total, self.done + count)
        self.show()

    def close(self) -> None:
        elapsed = time.perf_counter() - self.start
        end = f"{self.label}: {self.done}/{self.total} images in {_clock(elapsed)}"
        self.stream.write(("\r" + end + " " * 30 + "\n") if self.tty else end + "\n")
        self.stream.flush()
