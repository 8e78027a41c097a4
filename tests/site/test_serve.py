"""`unfragile serve` builds, serves the site under its base path, and rebuilds on change."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.parametrize("search", [True, False])
def test_serve_rebuilds_when_content_changes(basic_site: Path, tmp_path: Path, search: bool) -> None:
    text = basic_site.read_text("utf-8").replace("https://fixture.example/", "https://fixture.example/docs/")
    basic_site.write_text(text, "utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "unfragile_ssg.cli", "serve", "--config", str(basic_site), "--port", "0", "-o", str(tmp_path / "out")]
        + ([] if search else ["--no-search"]),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        line = next(line for line in process.stdout if "Serving" in line)
        base = re.search(r"at (http://\S+/docs/)", line).group(1)
        page = base + "models/gamma-writer/"
        assert "Gamma writes." in urllib.request.urlopen(page, timeout=10).read().decode()
        entry = basic_site.parent / "content/models/gamma-writer.md"
        entry.write_text(entry.read_text("utf-8").replace("Gamma writes.", "Gamma now rhymes."), "utf-8")
        wait_for(lambda: "Gamma now rhymes." in urllib.request.urlopen(page, timeout=10).read().decode())
        assert (tmp_path / "out" / "pagefind" / "pagefind.js").is_file() == search
    finally:
        process.terminate()
        process.wait(timeout=10)
