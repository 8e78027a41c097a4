"""The full-text search index: Pagefind over entry and comparison pages, in the post stage.

What is indexed, filtered, sorted and weighted is marked in the templates with Pagefind's
attributes (``data-pagefind-body`` on entry and comparison pages, ``data-pagefind-filter``
for kind, task and pricing, ``data-pagefind-sort="rank"``, ``data-pagefind-weight`` on
capability names and summaries). Pagefind has no incremental mode, so when no indexed page
changed since the previous build, the previous output's ``pagefind/`` folder is copied (never
linked): a fingerprint of the indexed pages is kept beside the bundle, with the sha256 of each
of its files, so that a bundle edited since it was written is made again, not copied.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..errors import Problem, SiteError
from ..fingerprint import fingerprint

BUNDLE = "pagefind"
KEY_FILE = ".unfragile-search-key"
INDEXED_VIEWS = ("entry", "compare")
PAGEFIND_VERSION = "1.5.2"
# not indexed: tables of numbers, navigation aids, and on comparison pages the capabilities,
# which are searched on each entry's own page (else every comparison repeats its entries' hits)
EXCLUDED = (".table-scroll", ".crumbs", ".next-step", ".edit", ".updated", ".comparison .sides .capabilities",
            ".comparison .more-capabilities", ".compare-list .muted")


def pagefind_command() -> list[str]:
    try:
        from pagefind_bin import get_executable

        return [str(get_executable())]
    except Exception:  # the wrapper finds it too, a little more slowly
        return [sys.executable, "-m", "pagefind"]


def search_key(pages) -> str:
    """Changes whenever an indexed page's content (or the site-wide inputs in its key) changes."""
    indexed = sorted((p.output, p.key) for p in pages if p.view in INDEXED_VIEWS)
    return fingerprint("pagefind", PAGEFIND_VERSION, EXCLUDED, indexed)


def previous_output(staging: Path) -> Path | None:
    """The published folder a staging folder (``.public.staging``) will replace."""
    name = staging.name
    if name.startswith(".") and name.endswith(".staging"):
        return staging.parent / name[1 : -len(".staging")]
    return None


def _bundle_files(bundle: Path) -> list[str]:
    return sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file() and p.name != KEY_FILE)


def write_key_file(bundle: Path, key: str) -> None:
    """The key of the indexed pages, then the sha256 and path of every file of the bundle."""
    lines = [key] + [f"{hashlib.sha256((bundle / name).read_bytes()).hexdigest()} {name}" for name in _bundle_files(bundle)]
    (bundle / KEY_FILE).write_text("\n".join(lines) + "\n", "utf-8")


def reuse_index(previous: Path | None, folder: Path, key: str) -> bool:
    """Copy the previous bundle into ``folder`` when its key matches and its files are the
    ones written; True when done. Copied, never linked: the output and the staging folder
    must not share a file."""
    if previous is None:
        return False
    old = previous / BUNDLE
    try:
        recorded = (old / KEY_FILE).read_text("utf-8").splitlines()
        if not recorded or recorded[0] != key:
            return False
        listed = dict(reversed(line.split(" ", 1)) for line in recorded[1:])
        if sorted(listed) != _bundle_files(old):
            return False
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    target = folder / BUNDLE
    shutil.rmtree(target, ignore_errors=True)  # the write stage may leave its empty folders
    try:
        for name, digest in listed.items():
            data = (old / name).read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:
                raise ValueError(name)  # edited since it was written
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
        shutil.copyfile(old / KEY_FILE, target / KEY_FILE)
    except (OSError, ValueError):
        shutil.rmtree(target, ignore_errors=True)
        return False
    return True


def run_pagefind(folder: Path, timeout: float = 3600) -> float:
    """Index ``folder`` into ``folder/pagefind``; the seconds it took. Raises SiteError on failure."""
    started = time.perf_counter()
    command = pagefind_command() + ["--site", str(folder), "--output-subdir", BUNDLE, "--silent",
                                      "--exclude-selectors", ", ".join(EXCLUDED)]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        raise SiteError(Problem(BUNDLE, 0, 0, f"could not run Pagefind ({error}): install it with pip install 'pagefind[bin]'")) from None
    if out.returncode != 0:
        detail = (out.stderr or out.stdout).strip().splitlines()[-5:]
        raise SiteError(Problem(BUNDLE, 0, 0, "Pagefind failed: " + " / ".join(detail)))
    return time.perf_counter() - started


def build_search_index(folder: Path, pages, timings: dict[str, float] | None = None) -> bool:
    """Write ``folder/pagefind``; True when the previous index was reused."""
    key = search_key(pages)
    started = time.perf_counter()
    reused = reuse_index(previous_output(folder), folder, key)
    if not reused:
        shutil.rmtree(folder / BUNDLE, ignore_errors=True)
        run_pagefind(folder)
        write_key_file(folder / BUNDLE, key)
    if timings is not None:
        timings["search: " + ("reused" if reused else "pagefind")] = time.perf_counter() - started
    return reused
