"""Read ``content/<kind>/<slug>.md`` files into raw entries: front matter, body, positions."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..config import Project, is_slug, slug_length_error
from ..errors import Problem, did_you_mean, invisible_character
from ..paths import outside_site
from ..yamldoc import Positions, YamlProblem, load_with_positions

ENTRY_SUFFIXES = (".md", ".yaml", ".yml")
MAX_ENTRY_BYTES = 256 * 1024
_FENCE = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)


@dataclass(frozen=True)
class RawEntry:
    """One content file as read from disk, before validation."""

    kind: str
    slug: str
    path: Path
    display: str  # the path as the editor knows it, relative to the site root
    front: dict[str, Any]
    positions: Positions
    body: str
    body_line: int
    digest: str  # sha256 of the file's bytes


class EntryFile(NamedTuple):
    kind: str
    path: Path
    display: str  # the path as messages show it (Project.display)


def entry_files(project: Project) -> tuple[list[EntryFile], list[Problem]]:
    """Every entry file under ``content/`` in a stable order, and folders that are not a kind."""
    files: list[EntryFile] = []
    problems: list[Problem] = []
    content = project.content_dir
    leaving = outside_site(content, project.root, project.display)
    if leaving is not None:
        return [], [leaving]
    if not content.is_dir():
        return [], [Problem(project.display(content), 0, 0, "content folder not found: create content/<kind>/ with entries")]
    kinds = project.settings.kinds
    for folder in sorted(p for p in content.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        leaving = outside_site(folder, project.root, project.display) if folder.is_symlink() else None
        if leaving is not None:
            problems.append(leaving)
            continue
        if folder.name not in kinds:
            if any(f.suffix in ENTRY_SUFFIXES for f in folder.iterdir() if f.is_file()):
                hint = did_you_mean(folder.name, kinds)
                problems.append(
                    Problem(
                        project.display(folder), 0, 0,
                        f"folder '{folder.name}' is not a kind of entry{hint}: the kinds are "
                        f"{', '.join(sorted(kinds))} (add a kind under 'kinds' in unfragile.yaml)",
                    )
                )
            continue
        # names, not paths, sorted and listed with the kind of file the folder says it is: at
        # 10,000 entries, Path objects and their comparisons took a tenth of a second
        # a link is rare, and only a link can lead out: only links are resolved
        with os.scandir(folder) as found:
            names, links = [], []
            for f in found:
                if f.is_file() and not f.name.startswith(".") and os.path.splitext(f.name)[1] in ENTRY_SUFFIXES:
                    (links if f.is_symlink() else names).append(f.name)
        for name in links:
            leaving = outside_site(folder / name, project.root, project.display)
            if leaving is None:
                names.append(name)
            else:
                problems.append(leaving)
        names.sort()
        shown = project.display(folder)
        files += [EntryFile(folder.name, folder / name, f"{shown}/{name}") for name in names]
    return files, problems


def load_entries(project: Project) -> tuple[list[RawEntry], list[Problem]]:
    """Every entry file under ``content/``, read, and what is wrong with the rest."""
    files, problems = entry_files(project)
    entries = []
    for kind, path, _ in files:
        entry, problem = read_entry(project, kind, path)
        if entry is not None:
            entries.append(entry)
        if problem is not None:
            problems.append(problem)
    return entries, problems


def split_front_matter(text: str) -> tuple[str, str, int]:
    """(front matter, body, body's first line) for a markdown file that opens with ``---``."""
    first = _FENCE.match(text)
    if not first:
        return "", text, 1
    closing = _FENCE.search(text, first.end())
    if not closing:
        raise YamlProblem(1, 1, "front matter opened with '---' is never closed: add a line '---' after it")
    front = text[first.end() : closing.start()]
    body = text[closing.end() :].lstrip("\r\n") if closing.end() < len(text) else ""
    body_line = text.count("\n", 0, closing.end()) + 2
    return front, body, body_line


_LOOKS_LIKE_A_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*:(\s|$)")


def _no_front_matter(text: str) -> str:
    """What to do with a markdown file that has no front matter, by what it seems to hold."""
    if _LOOKS_LIKE_A_FIELD.match(text):
        if _FENCE.search(text):
            return "the front matter has no opening '---': add a line '---' at the top of the file"
        return "the fields have no '---' lines around them: add a line '---' before the fields and one after them"
    return "no front matter: start the file with '---', the fields, then '---'"


def read_entry(project: Project, kind: str, path: Path, raw: bytes | None = None) -> tuple[RawEntry | None, Problem | None]:
    """Parse one entry file (its bytes, if already read); a problem instead when it can't be."""
    shown = project.display(path)
    slug = path.stem
    if slug_length_error(slug):
        return None, Problem(shown, 0, 0, f"the slug (the file name without '{path.suffix}') {slug_length_error(slug)}: rename the file")
    if not is_slug(slug):
        found = invisible_character(slug)
        if found:
            return None, Problem(shown, 0, 0, f"the file name {found}: rename it with lower-case letters, digits and dashes")
        return None, Problem(shown, 0, 0, f"file name '{path.name}' is not a valid slug: rename it with lower-case letters, digits and dashes")
    size = len(raw) if raw is not None else path.stat().st_size  # a huge file is not read to learn that it is
    if size > MAX_ENTRY_BYTES:
        return None, Problem(shown, 1, 1, f"the file is {size} bytes, more than the limit of {MAX_ENTRY_BYTES}: shorten it")
    if raw is None:
        raw = path.read_bytes()
    if not raw.strip():
        return None, Problem(shown, 1, 1, "the file is empty: fill in the fields (unfragile new " + kind.rstrip("s") + f" {slug} writes a skeleton)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        return None, Problem(shown, line, col, f"the file is not UTF-8 (byte 0x{raw[error.start]:02x}): save it as UTF-8")
    text = text.removeprefix("\ufeff")
    try:
        if path.suffix == ".md":
            front_text, body, body_line = split_front_matter(text)
            if not front_text.strip():
                return None, Problem(shown, 1, 1, _no_front_matter(text))
            data, positions = load_with_positions(front_text)  # front_text keeps the fence line's newline
        else:
            body, body_line = "", 0
            data, positions = load_with_positions(text)
    except YamlProblem as problem:
        return None, Problem(shown, problem.line, problem.col, problem.message)
    if isinstance(data, dict) and path.suffix != ".md" and "body" in data:
        body = data.pop("body")
        if not isinstance(body, str):
            line, col = positions.of(("body",))
            return None, Problem(shown, line, col, "'body' must be text (the overview in markdown)")
        body_line = positions.of(("body",))[0]
    if not isinstance(data, dict):
        return None, Problem(shown, 1, 1, "the front matter must be a mapping of field names to values")
    digest = hashlib.sha256(raw).hexdigest()
    return RawEntry(kind, slug, path, shown, data, positions, body, body_line, digest), None


def position_in(project: Project, kind: str, path: Path, where: tuple) -> tuple[int, int]:
    """Where a field of an entry file starts, for messages raised after validation (which
    keeps no positions); (1, 1) when the file can no longer be read."""
    try:
        raw, _ = read_entry(project, kind, path)
    except OSError:
        return 1, 1
    return raw.positions.of(where) if raw is not None else (1, 1)
