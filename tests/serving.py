"""`unfragile serve` in a subprocess, for the tests that drive it (HTTP and browser)."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path


class ServeProcess:
    """``unfragile serve --port 0`` on a site; its output lines are read as they come."""

    def __init__(self, site: Path, *args: str, env: dict[str, str] | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "unfragile_ssg.cli", "serve", "--config", str(site), "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        try:
            line = self.wait_for("Serving ")
        except BaseException:
            self.process.kill()
            self.process.wait()
            raise
        self.url = re.search(r" at (http://\S+)", line).group(1)  # with the base path

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 60.0) -> str:
        """The next output line containing ``text``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"serve printed no line with {text!r} in {timeout} s; it printed:\n"
                                     + "".join(self.seen)) from None
            self.seen.append(line)
            if text in line:
                return line

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def __enter__(self) -> "ServeProcess":
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.stop()
