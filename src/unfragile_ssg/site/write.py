"""The write stage: render pages into a staging folder, then swap it in whole.

The output folder is only ever replaced by a complete, successful build. The folder it
replaces is kept beside it as the *spare* (``.public.previous``) and becomes the next build's
staging folder, so that a rebuild touches only the files that changed rather than copying
the whole site: a page is kept if the spare already holds it, copied from the output if the
output does, and rendered otherwise. A manifest in the cache records each folder's pages: the
fingerprint each was rendered from, and the size, times and inode of the file written, so that
a file edited since (by hand, or by anything else) is never kept as the page it was. The
spare's manifest is deleted before the spare is touched, so that a crash can only cost a full
copy, never a stale page.

The output and the spare never share a file (no hard links): a file is only ever written as a
new one and renamed or moved into place, never opened for writing once it is in a folder.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import shutil
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from .. import cachefile
from ..errors import Problem, SiteError
from ..memo import CacheLayout, Caches, Memo
from ..pages.plan import PlannedPage
from .parallel import Background, fork_map

MARKER = ".unfragile-build"
COPY_CHUNK = 1 << 20
PARALLEL_THRESHOLD = 400  # below this many pages, forking workers costs more than it saves
BACKGROUND_LISTING = 5000  # below this many pages, preparing the staging folder in another process does not pay


@dataclass
class WriteStats:
    rendered: int = 0
    reused: int = 0
    static: int = 0


Signature = tuple[int, int, int, int]  # a file's size, modification and change times (ns), inode


class PageRecord(NamedTuple):
    """A page of a folder as the manifest records it: what it was rendered from, and its file."""

    key: str  # the page's fingerprint
    file: Signature


Manifest = dict[str, PageRecord]


def signature(path: Path | str) -> Signature | None:
    """The stats that change when a file is written: None when there is no file."""
    try:
        found = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino


def _signature_of(status: os.stat_result) -> Signature:
    return status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino


def manifest_memo(caches: Caches, folder: Path) -> Memo:
    """The manifest of an output folder's pages (``builds/<folder>`` in the cache layout)."""
    return caches.memo(CacheLayout.of_folder("builds", folder), Manifest)


def read_manifest(memo: Memo) -> Manifest:
    stored = memo.get()
    return stored if stored is not None else {}  # a missing or damaged manifest only costs a full render


def check_output_folder(output: Path) -> None:
    """Refuse to replace a folder that a previous build did not write."""
    if output.exists() and (not output.is_dir() or (any(output.iterdir()) and not (output / MARKER).exists())):
        raise SiteError(
            Problem(str(output), 0, 0, "the output folder exists and was not written by unfragile: remove it or choose another --output")
        )


def staging_path(output: Path) -> Path:
    """The folder a build of ``output`` renders into before it becomes the output."""
    return output.parent / f".{output.name}.staging"


class Staging:
    """A sibling folder of the output that becomes the output when everything succeeded."""

    def __init__(self, output: Path, caches: Caches):
        self.output = output
        self.path = staging_path(output)
        self.spare = output.parent / f".{output.name}.previous"
        self.manifest = manifest_memo(caches, output)
        self.spare_manifest = manifest_memo(caches, self.spare)
        self.previous: Manifest = {}  # the output's pages
        self.kept: dict[str, Signature] = {}  # the pages ``start`` kept, and their files in the staging folder
        self._spare_listing: Background | None = None
        self._spare_pages: Manifest | None = None  # the spare's manifest, once read
        self._copying: Background | None = None  # a copy of the output on its way

    def prepare_in_background(self, enabled: bool = True) -> None:
        """Start the slow part of staging in another process, to overlap with the stages before
        rendering, which keep one core busy: listing the spare's files (0.3 s for 50,000), or,
        when there is no spare yet (the first rebuild), copying the output."""
        self._spare_pages = read_manifest(self.spare_manifest)
        if not enabled:
            return
        has_spare = bool(self._spare_pages) and self.spare.is_dir()  # its manifest may outlive it
        if has_spare and len(self._spare_pages) >= BACKGROUND_LISTING:
            self._spare_listing = Background(list_signatures, self.spare)
        elif not has_spare and len(read_manifest(self.manifest)) >= BACKGROUND_LISTING and _ours(self.output):
            self._remove_leftover()
            self._copying = Background(copy_tree, self.output, self.path)

    def _spare_files(self) -> dict[str, Signature] | None:
        """The spare's files as listed in the background; None to list them here."""
        listing, self._spare_listing = self._spare_listing, None
        try:
            return listing.result() if listing is not None else None
        except OSError:  # the listing process failed or died
            return None

    def _copied(self) -> dict[str, tuple[Signature, Signature]] | None:
        """The files of the background copy of the output (see ``copy_tree``), once it is in
        the staging folder; None when there is none."""
        copying, self._copying = self._copying, None
        if copying is None:
            return None
        try:
            return copying.result()
        except OSError:
            shutil.rmtree(self.path, ignore_errors=True)
            return None

    def close(self) -> None:
        if self._spare_listing is not None:
            self._spare_listing.close()
            self._spare_listing = None
        if self._copying is not None:  # the build stopped before it needed the copy
            self._copying.close()
            self._copying = None
            shutil.rmtree(self.path, ignore_errors=True)

    def _remove_leftover(self) -> None:
        if self.path.exists():  # left by a build that crashed
            shutil.rmtree(self.path)

    def __enter__(self) -> "Staging":
        check_output_folder(self.output)
        self.output.parent.mkdir(parents=True, exist_ok=True)
        if self._copying is None:
            self._remove_leftover()
        self.previous = read_manifest(self.manifest)
        return self

    def __exit__(self, kind, error, tb) -> None:
        self.close()
        if error is not None and self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)

    def start(self, pages: list[PlannedPage], static: set[str]) -> tuple[list[PlannedPage], int]:
        """Fill the staging folder with every planned page that needs no rendering; return
        the pages to render and how many were reused."""
        spare_pages = self._spare_pages if self._spare_pages is not None else read_manifest(self.spare_manifest)
        self.spare_manifest.forget()  # from here on the spare is being changed
        listing = self._spare_files()  # before the spare is touched
        if spare_pages and self.spare.is_dir():
            os.replace(self.spare, self.path)
            return self._fill(pages, static, spare_pages, self.previous, listing)
        if self.spare.exists():
            shutil.rmtree(self.spare)
        if self.previous and self.output.is_dir():  # no spare yet: a copy of the output
            copied = self._copied()
            if copied is None:
                copied = copy_tree(self.output, self.path)
            return self._fill(pages, static, self.previous, {}, {name: here for name, (_, here) in copied.items()}, copied)
        self._copied()  # not wanted after all (the output went away): it is removed with the rest
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir()
        return list(pages), 0

    def _fill(self, pages: list[PlannedPage], static: set[str], have: Manifest, published: Manifest,
              listing: dict[str, Signature] | None, copied: dict[str, tuple[Signature, Signature]] | None = None) -> tuple[list[PlannedPage], int]:
        to_render, self.kept = _fill(pages, static, self.path, have, self.output, published, listing, copied)
        return to_render, len(self.kept)

    def commit(self, pages: list[PlannedPage]) -> None:
        replace_file(self.path / MARKER, b"")
        # each page's file as written: the kept ones were checked by ``start``, the rest are new
        records = {}
        for page in pages:
            found = self.kept.get(page.output) or signature(self.path / page.output)
            if found is not None:
                records[page.output] = PageRecord(page.key, found)
        self.manifest.forget()
        if self.output.exists():
            os.replace(self.output, self.spare)
        os.replace(self.path, self.output)
        if self.previous:
            save_manifest(self.spare_manifest, self.previous)
        save_manifest(self.manifest, records)


def _walk(folder: Path) -> Iterator[tuple[str, os.DirEntry]]:
    """Every file under ``folder``: its path relative to it ('models/x/index.html'), and its entry."""

    def visit(directory: str, prefix: str) -> Iterator[tuple[str, os.DirEntry]]:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    yield from visit(entry.path, prefix + entry.name + "/")
                else:
                    yield prefix + entry.name, entry

    return visit(str(folder), "")


def list_files(folder: Path) -> list[str]:
    """Every file under ``folder``, by its path relative to it ('models/x/index.html')."""
    return [name for name, _ in _walk(folder)]


def list_signatures(folder: Path) -> dict[str, Signature]:
    """Every file under ``folder`` (as ``list_files`` names it) and its signature."""
    return {name: _signature_of(entry.stat(follow_symlinks=False)) for name, entry in _walk(folder)}


def _fill(pages: list[PlannedPage], static: set[str], staging: Path, have: Manifest, output: Path,
          published: Manifest, listing: dict[str, Signature] | None = None,
          copied: dict[str, tuple[Signature, Signature]] | None = None) -> tuple[list[PlannedPage], dict[str, Signature]]:
    """Pages ``staging`` holds already (by the manifest ``have``) stay; pages the published
    ``output`` holds are copied from it; the rest are returned, to be rendered, with the
    pages kept and their files' signatures in ``staging``. A page is only kept when its file is
    the one the manifest records (an edited file is rendered again). ``listing`` is the files
    ``staging`` holds and their signatures, when they were listed beforehand (``list_signatures``);
    ``copied``, when ``staging`` is a copy of another folder (``copy_tree``), each file's
    signature there and here.

    Files that change are replaced (new inode), never written through, so the published
    output stays intact until the swap."""
    # anything this build does not plan goes: removed pages, old fingerprinted assets and
    # the post stage's files (search index, sitemap), which it writes anew
    keep = {page.output for page in pages} | static
    present: dict[str, Signature] = {}
    for path, found in (list_signatures(staging) if listing is None else listing).items():
        if path in keep:
            present[path] = found
        else:
            os.unlink(staging / path)
            _remove_empty_folders(staging, path)
    to_render = []
    kept: dict[str, Signature] = {}
    for page in pages:
        name = page.output
        record = have.get(name)
        if record is not None and record.key == page.key and name in present:
            origin = present[name] if copied is None else copied[name][0]  # the file as the manifest knew it
            if origin == record.file:
                kept[name] = present[name]
                continue
        record = published.get(name)
        if record is not None and record.key == page.key:
            found = _copy_file(output / name, staging / name, record.file)
            if found is not None:
                kept[name] = found
                continue
        to_render.append(page)
    return to_render, kept


def _remove_empty_folders(root: Path, removed: str) -> None:
    """The folders of a removed file that are now empty (a removed entry's ``models/x/``)."""
    folder = posixpath.dirname(removed)
    while folder:
        try:
            os.rmdir(root / folder)
        except OSError:  # not empty (or already gone): its parents are not empty either
            return
        folder = posixpath.dirname(folder)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _copy_open(reading: int, writing: int, size: int) -> None:
    """Copy the first ``size`` bytes of one open file into another: in the kernel where it can
    (``copy_file_range``: twice as quick as through Python for 50,000 pages in memory), else read
    and written here."""
    left = size
    try:
        while left > 0:
            done = os.copy_file_range(reading, writing, left)
            if done == 0:
                break
            left -= done
        return
    except (AttributeError, OSError):  # not on this system or between these file systems
        os.lseek(reading, size - left, os.SEEK_SET)
    while chunk := os.read(reading, COPY_CHUNK):
        os.write(writing, chunk)


def _copy_file(source: Path | str, target: Path | str, expected: Signature | None = None) -> Signature | None:
    """Copy ``source`` to ``target`` as a new file (the one there, if any, is unlinked first);
    the signature of the copy, or None when ``source`` is missing, is not the file ``expected``
    (when given) or cannot be copied."""
    try:
        reading = os.open(source, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        status = os.fstat(reading)
        if expected is not None and _signature_of(status) != expected:
            return None
        if os.path.lexists(target):
            os.unlink(target)
        try:
            writing = os.open(target, _NEW_FILE, 0o666)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            writing = os.open(target, _NEW_FILE, 0o666)
        try:
            _copy_open(reading, writing, status.st_size)
            return _signature_of(os.fstat(writing))
        finally:
            os.close(writing)
    except OSError:
        return None
    finally:
        os.close(reading)


def _ours(output: Path) -> bool:
    try:
        check_output_folder(output)
    except SiteError:
        return False
    return output.is_dir()


def copy_tree(source: Path, target: Path) -> dict[str, tuple[Signature, Signature]]:
    """A copy of the folder ``source`` at ``target`` (files copied, never linked: the two must
    not share a file), and for each of its files ('models/x/index.html') the signature of the
    file copied and of the copy."""
    root, copy = str(source), str(target)
    os.mkdir(copy)
    made: dict[str, tuple[Signature, Signature]] = {}
    for folder, folders, files in os.walk(root):
        relative = folder[len(root) + 1 :]
        here = os.path.join(copy, relative)
        for name in folders:
            os.mkdir(os.path.join(here, name))
        prefix = relative.replace(os.sep, "/") + "/" if relative else ""
        for name in files:
            reading = os.open(os.path.join(folder, name), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            try:
                writing = os.open(os.path.join(here, name), _NEW_FILE, 0o666)
                try:
                    status = os.fstat(reading)
                    _copy_open(reading, writing, status.st_size)
                    made[prefix + name] = (_signature_of(status), _signature_of(os.fstat(writing)))
                finally:
                    os.close(writing)
            finally:
                os.close(reading)
    return made


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` as a new file at ``path`` (never through an existing hard link)."""
    cachefile.write_atomically(path, data)


def write_new(path: Path, data: bytes) -> None:
    """Write a page into the staging folder as a new inode: unlinking first means a hard
    link to the previous output is never written through. Folders are made only when
    missing, since creating them dominates on slow disks."""
    for _attempt in range(3):
        try:
            with open(path, "xb") as handle:
                handle.write(data)
            return
        except FileExistsError:
            path.unlink()
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, data)


RenderPage = Callable[[PlannedPage], bytes]


def render_pages(render: RenderPage, pages: list[PlannedPage], staging: Path | None, jobs: int,
                 inspect: Callable[[bytes], Any] | None = None) -> dict[str, Any]:
    """Render and write pages (into ``staging``; nowhere when None), across ``jobs`` processes
    when there are enough of them. ``inspect`` reads each HTML page while its bytes are at
    hand; its results are returned."""

    def render_one(page: PlannedPage) -> tuple[str, list[Problem] | None, Any]:
        try:
            data = render(page)
        except SiteError as error:  # a template's problem, at its line
            return page.output, error.problems, None
        except Exception as error:  # reported per page; the build then fails as a whole
            return page.output, [Problem(page.output, 0, 0, f"could not render: {_describe_failure(error)}")], None
        if staging is not None:
            write_new(staging / page.output, data)
        return page.output, None, inspect(data) if inspect and page.output.endswith(".html") else None

    seen: dict[str, Any] = {}
    failing: dict[Problem, list[str]] = {}  # one line per problem, however many pages it breaks
    for output, problems, found in fork_map(render_one, pages, jobs, minimum=PARALLEL_THRESHOLD):
        if problems:
            for problem in problems:
                failing.setdefault(problem, []).append(output)
        elif found is not None:
            seen[output] = found
    if failing:
        raise SiteError([_on_pages(problem, outputs) for problem, outputs in failing.items()])
    return seen


def _on_pages(problem: Problem, outputs: list[str]) -> Problem:
    if problem.path in outputs:
        return problem
    first = min(outputs)
    others = f" and {len(outputs) - 1} other page{'s' if len(outputs) > 2 else ''}" if len(outputs) > 1 else ""
    return dataclasses.replace(problem, message=f"{problem.message} (rendering {first}{others})")


def _describe_failure(error: Exception) -> str:
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith(".html"):
            return f"{type(error).__name__}: {error} (template {frame.filename}:{frame.lineno})"
    return f"{type(error).__name__}: {error}"


def copy_static(files: Iterable[tuple[str, Path]], staging: Path) -> int:
    count = 0
    for relative, source in files:
        target = staging / relative
        if not (target.is_file() and target.stat().st_size == source.stat().st_size and target.read_bytes() == source.read_bytes()):
            replace_file(target, source.read_bytes())
        count += 1
    return count


def save_manifest(memo: Memo, pages: Manifest) -> None:
    """Record the pages of a folder (output path: fingerprint and file)."""
    memo.put(pages)
