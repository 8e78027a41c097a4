"""The write stage: render pages into a staging folder, then swap it in whole.

The output folder is only ever replaced by a complete, successful build. Pages whose
fingerprint matches the previous build's are hard-linked from the previous output instead
of being rendered again; a manifest in the cache records each page's fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..errors import Problem, SiteError
from ..pages.plan import PlannedPage

MARKER = ".unfragile-build"
PARALLEL_THRESHOLD = 400  # below this many pages, forking workers costs more than it saves


@dataclass
class WriteStats:
    rendered: int = 0
    reused: int = 0
    static: int = 0


def manifest_path(cache_dir: Path, output: Path) -> Path:
    name = hashlib.sha256(str(output.resolve()).encode()).hexdigest()[:16]
    return cache_dir / "builds" / f"{name}.json"


def read_manifest(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}  # a missing or damaged manifest only costs a full render
    pages = data.get("pages") if isinstance(data, dict) else None
    return {k: v for k, v in pages.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(pages, dict) else {}


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def check_output_folder(output: Path) -> None:
    """Refuse to replace a folder that a previous build did not write."""
    if output.exists() and (not output.is_dir() or (any(output.iterdir()) and not (output / MARKER).exists())):
        raise SiteError(
            Problem(str(output), 0, 0, "the output folder exists and was not written by unfragile: remove it or choose another --output")
        )


class Staging:
    """A sibling folder of the output that becomes the output when everything succeeded."""

    def __init__(self, output: Path):
        self.output = output
        self.path = output.parent / f".{output.name}.staging"
        self.old = output.parent / f".{output.name}.old"

    def __enter__(self) -> "Staging":
        check_output_folder(self.output)
        self.output.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (self.path, self.old):
            if leftover.exists():
                shutil.rmtree(leftover)
        self.path.mkdir()
        (self.path / MARKER).write_bytes(b"")
        return self

    def __exit__(self, kind, error, tb) -> None:
        if error is not None and self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)

    def commit(self) -> None:
        if self.output.exists():
            os.replace(self.output, self.old)
        os.replace(self.path, self.output)
        shutil.rmtree(self.old, ignore_errors=True)


def reuse_unchanged(pages: list[PlannedPage], previous: dict[str, str], output: Path, staging: Path) -> tuple[list[PlannedPage], int]:
    """Link pages whose fingerprint is unchanged from the previous output; return the rest."""
    to_render, reused = [], 0
    for page in pages:
        old_file = output / page.output
        if previous.get(page.output) == page.key and old_file.is_file():
            target = staging / page.output
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(old_file, target)
            except OSError:
                shutil.copyfile(old_file, target)
            reused += 1
        else:
            to_render.append(page)
    return to_render, reused


RenderPage = Callable[[PlannedPage], bytes]
_worker_state: tuple[RenderPage, list[PlannedPage], Path] | None = None


def _render_chunk(indices: list[int]) -> list[tuple[str, str]]:
    render, pages, staging = _worker_state  # type: ignore[misc]
    failures = []
    made_dirs: set[Path] = set()
    for index in indices:
        page = pages[index]
        try:
            data = render(page)
        except Exception as error:  # reported per page; the build then fails as a whole
            failures.append((page.output, _describe_failure(error)))
            continue
        target = staging / page.output
        if target.parent not in made_dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(target.parent)
        target.write_bytes(data)
    return failures


def _describe_failure(error: Exception) -> str:
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith(".html"):
            return f"{type(error).__name__}: {error} (template {frame.filename}:{frame.lineno})"
    return f"{type(error).__name__}: {error}"


def render_pages(render: RenderPage, pages: list[PlannedPage], staging: Path, jobs: int) -> None:
    """Render and write pages, across ``jobs`` processes when there are enough of them."""
    global _worker_state
    _worker_state = (render, pages, staging)
    try:
        indices = list(range(len(pages)))
        if jobs <= 1 or len(pages) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
            failures = _render_chunk(indices)
        else:
            size = max(50, len(pages) // (jobs * 8))
            chunks = [indices[i : i + size] for i in range(0, len(indices), size)]
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                failures = [f for part in pool.imap_unordered(_render_chunk, chunks) for f in part]
    finally:
        _worker_state = None
    if failures:
        raise SiteError([Problem(path, 0, 0, f"could not render: {message}") for path, message in sorted(failures)])


def copy_static(files: Iterable[tuple[str, Path]], staging: Path) -> int:
    count = 0
    for relative, source in files:
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        count += 1
    return count


def save_manifest(path: Path, pages: list[PlannedPage]) -> None:
    data = {"version": 1, "pages": {page.output: page.key for page in pages}}
    write_atomically(path, json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
