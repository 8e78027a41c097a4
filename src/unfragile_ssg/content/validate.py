"""Validate raw entries against the schema and against each other; collect every problem."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ..config import Project
from ..errors import Problem, did_you_mean
from ..validation import validate_model
from ..yamldoc import Positions
from .load import RawEntry, position_in
from .schema import EntryFields

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class Entry:
    """A valid entry: its schema fields, its overview in markdown, and where it came from."""

    kind: str
    slug: str
    fields: EntryFields
    body: str
    source: str  # path relative to the site root, for messages and "edit this page"
    digest: str  # sha256 of the source file
    sample_paths: tuple[Path, ...] = ()

    @property
    def key(self) -> str:
        return self.slug


def check_schema(raw: RawEntry) -> tuple[EntryFields | None, list[Problem]]:
    """One entry against the schema: independent of every other entry."""
    return validate_model(EntryFields, raw.front, raw.positions, raw.display)


def validate_entries(
    project: Project, raws: list[RawEntry], schema_results: list[tuple[EntryFields | None, list[Problem]]] | None = None
) -> tuple[list[Entry], list[Problem]]:
    """Entries that passed, sorted by slug, and every problem found (schema and cross-entry).

    ``schema_results`` (one per raw entry) may be computed beforehand, e.g. in parallel."""
    problems: list[Problem] = []
    checked: list[tuple[RawEntry, EntryFields]] = []
    for raw, (fields, found) in zip(raws, schema_results or map(check_schema, raws)):
        problems.extend(found)
        if fields is not None:
            checked.append((raw, fields))

    seen: dict[str, RawEntry] = {}
    for raw in sorted(raws, key=lambda r: r.display):
        if raw.slug in seen:
            first = seen[raw.slug]
            problems.append(
                Problem(raw.display, 1, 1, f"slug '{raw.slug}' is already used by {first.display}: slugs are unique across kinds, rename one file")
            )
        else:
            seen[raw.slug] = raw

    tasks = project.settings.tasks
    entries: list[Entry] = []
    for raw, fields in checked:
        found = _check_tasks(project, raw, fields, tasks) + _check_compare_with(project, raw, fields, seen)
        samples, sample_problems = _check_samples(project, raw, fields)
        found += sample_problems + _check_captioner(project, raw, fields)
        problems.extend(found)
        if not found and seen.get(raw.slug) is raw:
            entries.append(Entry(raw.kind, raw.slug, fields, raw.body, raw.display, raw.digest, samples))
    entries.sort(key=lambda e: e.slug)
    return entries, sorted(set(problems))


def _at(project: Project, raw: RawEntry, where: tuple) -> tuple[int, int]:
    """Where a field of the entry starts. Entries that passed the schema travel and are cached
    without their text (most of what they weigh: see ``without_text``); the rare problem found
    in them later reads the file again, whose bytes are those the entry was parsed from."""
    if raw.positions.text:
        return raw.positions.of(where)
    return position_in(project, raw.kind, raw.path, where)


def without_text(raw: RawEntry) -> RawEntry:
    """The entry without its front matter and the text its positions are read from."""
    return dataclasses.replace(raw, front={}, positions=Positions())


def _check_tasks(project: Project, raw: RawEntry, fields: EntryFields, tasks: dict) -> list[Problem]:
    if all(t in tasks for t in fields.tasks) and all(t in tasks for c in fields.capabilities for t in c.tasks):
        return []  # the common case, without listing where each task is
    problems = []
    places = [(("tasks", i), t) for i, t in enumerate(fields.tasks)]
    for c, capability in enumerate(fields.capabilities):
        places += [(("capabilities", c, "tasks", i), t) for i, t in enumerate(capability.tasks)]
    for where, task in places:
        if task not in tasks:
            line, col = _at(project, raw, where)
            problems.append(
                Problem(raw.display, line, col, f"unknown task '{task}'{did_you_mean(task, tasks)}: use a task listed under 'tasks' in unfragile.yaml, or add it there")
            )
    return problems


def _check_compare_with(project: Project, raw: RawEntry, fields: EntryFields, slugs: dict[str, RawEntry]) -> list[Problem]:
    problems = []
    for i, other in enumerate(fields.compare_with):
        if other == raw.slug:
            message = f"compare_with names the entry itself ('{other}'): remove it"
        elif other not in slugs:
            message = f"compare_with names no entry: '{other}'{did_you_mean(other, slugs)}: use the slug (file name) of an entry"
        elif other in fields.compare_with[:i]:
            message = f"compare_with lists '{other}' twice: remove one"
        else:
            continue
        problems.append(Problem(raw.display, *_at(project, raw, ("compare_with", i)), message))
    return problems


def _check_samples(project: Project, raw: RawEntry, fields: EntryFields) -> tuple[tuple[Path, ...], list[Problem]]:
    problems, paths = [], []
    if not fields.samples:
        return (), problems
    content = project.content_dir.resolve()
    for i, sample in enumerate(fields.samples):
        target = (raw.path.parent / sample.image).resolve()
        if not target.is_relative_to(content):
            message = f"sample image '{sample.image}' is outside content/: keep sample images inside the content folder"
        elif target.suffix.lower() not in IMAGE_SUFFIXES:
            message = f"sample image '{sample.image}' is not a {', '.join(IMAGE_SUFFIXES)} file"
        elif not target.is_file():
            message = f"sample image '{sample.image}' not found (looked for {project.display(target)}): fix the path, relative to the entry file"
        else:
            paths.append(target)
            continue
        problems.append(Problem(raw.display, *_at(project, raw, ("samples", i, "image")), message))
    return tuple(paths), problems


def _check_captioner(project: Project, raw: RawEntry, fields: EntryFields) -> list[Problem]:
    """A captioner folder must stay inside the site (a symbolic link could point anywhere)."""
    if fields.captioner is None:
        return []
    root = project.root.resolve()
    target = (root / fields.captioner).resolve()
    if (root / fields.captioner).exists() and not target.is_relative_to(root):
        where = _at(project, raw, ("captioner",))
        return [Problem(raw.display, *where, f"captioner '{fields.captioner}' leads outside the site: keep model folders inside it")]
    return []
