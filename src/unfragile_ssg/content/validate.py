"""Validate raw entries against the schema and against each other; collect every problem."""

from __future__ import annotations

import dataclasses
import os
import re
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable

from pydantic import TypeAdapter, ValidationError

from ..config import SLUG, Project
from ..errors import Problem, did_you_mean
from ..paths import leaving_link, link_fix
from ..validation import validate_model
from ..yamldoc import Positions
from .load import EntryFile, RawEntry, position_in
from .schema import Capability, EntryFields, EntryHead, ImagePath, ModelName, Slug

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
_CAPABILITIES = TypeAdapter(list[Capability])


@dataclass(frozen=True)
class Fields:
    """An entry's valid fields as they are kept: every field but the capabilities as a model
    (the catalog reads them for every entry), and the capabilities packed (most of what an
    entry weighs, read only by the pages that show them: a rebuild that loads 10,000 entries
    from the cache unpacks the few it renders)."""

    head: EntryHead
    packed_capabilities: bytes
    capability_tasks: tuple[str, ...]  # every task the capabilities name, for the check against the site's
    capability_count: int

    @classmethod
    def pack(cls, fields: EntryFields) -> "Fields":
        head = EntryHead.model_construct(fields.model_fields_set - {"capabilities"},
                                         **{name: getattr(fields, name) for name in EntryHead.model_fields})
        tasks = tuple(dict.fromkeys(t for c in fields.capabilities for t in c.tasks))
        # JSON, compressed: text shrinks to a quarter (97 -> 27 MB at 10,000 entries), for 60 us an
        # entry; data only, since it is kept in the entry cache, which a pull request can write
        packed = zlib.compress(_CAPABILITIES.dump_json(fields.capabilities, exclude_unset=True), 1)
        return cls(head, packed, tasks, len(fields.capabilities))

    def capabilities(self) -> list[Capability]:
        """The capabilities, checked against the schema again as they are unpacked."""
        return _CAPABILITIES.validate_json(zlib.decompress(self.packed_capabilities))

    def unpack(self) -> EntryFields:
        return EntryFields.model_construct(self.head.model_fields_set | {"capabilities"},
                                           **dict(self.head), capabilities=self.capabilities())


@dataclass(frozen=True)
class Entry:
    """A valid entry: its fields, its overview in markdown, and where it came from."""

    kind: str
    slug: str
    kept: Fields
    body: str
    source: str  # path relative to the site root, for messages and "edit this page"
    digest: str  # sha256 of the source file
    sample_paths: tuple[Path, ...] = ()
    # every field but the capabilities: what the catalog and list pages read (an attribute,
    # not a property: it is read a hundred thousand times a build)
    head: EntryHead = dataclasses.field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "head", self.kept.head)

    @classmethod
    def of(cls, kind: str, slug: str, fields: EntryFields, body: str, source: str, digest: str,
           sample_paths: tuple[Path, ...] = ()) -> "Entry":
        return cls(kind, slug, Fields.pack(fields), body, source, digest, sample_paths)

    @cached_property
    def fields(self) -> EntryFields:
        """Every field, capabilities included (unpacked on first use)."""
        return self.kept.unpack()

    @property
    def key(self) -> str:
        return self.slug


def check_schema(raw: RawEntry) -> tuple[Fields | None, list[Problem]]:
    """One entry against the schema: independent of every other entry."""
    fields, problems = validate_model(EntryFields, raw.front, raw.positions, raw.display)
    return (Fields.pack(fields) if fields is not None else None), problems


def validate_entries(
    project: Project, raws: list[RawEntry], schema_results: list[tuple[Fields | None, list[Problem]]] | None = None,
    files: Iterable[EntryFile] = (),
) -> tuple[list[Entry], list[Problem]]:
    """Entries that passed, sorted by slug, and every problem found (schema and cross-entry),
    sorted by file, line and column.

    ``schema_results`` (one per raw entry) may be computed beforehand, e.g. in parallel.
    ``files`` are every entry file, those that could not be read included (their slugs are
    taken, and a ``compare_with`` naming one of them is not a second problem). The checks
    across entries run on entries that failed the schema too, on every part of their front
    matter that is valid on its own, so that an editor sees all that is wrong in one run."""
    problems: list[Problem] = []
    checked: list[tuple[RawEntry, Fields]] = []
    failed: list[RawEntry] = []
    for raw, (fields, found) in zip(raws, schema_results or map(check_schema, raws)):
        problems.extend(found)
        if fields is not None:
            checked.append((raw, fields))
        else:
            failed.append(raw)

    names = {(raw.display, raw.slug) for raw in raws}
    names.update((file.display, file.path.stem) for file in files if re.match(SLUG, file.path.stem))
    seen: dict[str, str] = {}  # slug: the file that has it
    for display, slug in sorted(names):
        if slug in seen:
            problems.append(
                Problem(display, 1, 1, f"slug '{slug}' is already used by {seen[slug]}: slugs are unique across kinds, rename one file")
            )
        else:
            seen[slug] = display

    tasks = project.settings.tasks
    entries: list[Entry] = []
    for raw, kept in checked:
        head = kept.head
        found = _check_tasks(project, raw, kept, tasks) + _check_compare_with(project, raw, list(enumerate(head.compare_with)), seen)
        samples, sample_problems = _check_samples(project, raw, [(i, s.image) for i, s in enumerate(head.samples)])
        found += sample_problems + _check_captioner(project, raw, head.captioner)
        problems.extend(found)
        if not found and seen.get(raw.slug) == raw.display:
            entries.append(Entry(raw.kind, raw.slug, kept, raw.body, raw.display, raw.digest, samples))
    for raw in failed:
        parts = _ReadableParts(raw.front)
        problems += _unknown_tasks(project, raw, parts.tasks(), tasks)
        problems += _check_compare_with(project, raw, parts.list_of("compare_with", _SLUG), seen)
        problems += _check_samples(project, raw, parts.sample_images())[1]
        problems += _check_captioner(project, raw, parts.single("captioner", _MODEL_NAME))
    entries.sort(key=lambda e: e.slug)
    return entries, sorted(set(problems))


_SLUG = TypeAdapter(Slug)
_MODEL_NAME = TypeAdapter(ModelName)
_IMAGE_PATH = TypeAdapter(ImagePath)


class _ReadableParts:
    """The parts of an entry's front matter that the checks across entries read, from a front
    matter that failed the schema: each part only where it is valid on its own (the schema
    has already reported the rest)."""

    def __init__(self, front: dict):
        self.front = front

    @staticmethod
    def _valid(adapter: TypeAdapter, value: Any) -> bool:
        try:
            adapter.validate_python(value)
        except ValidationError:
            return False
        return True

    def list_of(self, name: str, adapter: TypeAdapter, front: dict | None = None) -> list[tuple[int, Any]]:
        values = (self.front if front is None else front).get(name)
        if not isinstance(values, list):
            return []
        return [(i, value) for i, value in enumerate(values) if self._valid(adapter, value)]

    def single(self, name: str, adapter: TypeAdapter) -> Any:
        value = self.front.get(name)
        return value if value is not None and self._valid(adapter, value) else None

    def tasks(self) -> list[tuple[tuple, str]]:
        places = [(("tasks", i), task) for i, task in self.list_of("tasks", _SLUG)]
        capabilities = self.front.get("capabilities")
        for c, capability in enumerate(capabilities if isinstance(capabilities, list) else []):
            if isinstance(capability, dict):
                places += [(("capabilities", c, "tasks", i), task) for i, task in self.list_of("tasks", _SLUG, capability)]
        return places

    def sample_images(self) -> list[tuple[int, str]]:
        samples = self.front.get("samples")
        return [(i, sample["image"]) for i, sample in enumerate(samples if isinstance(samples, list) else [])
                if isinstance(sample, dict) and self._valid(_IMAGE_PATH, sample.get("image"))]


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


def _check_tasks(project: Project, raw: RawEntry, kept: Fields, tasks: dict) -> list[Problem]:
    if all(t in tasks for t in kept.head.tasks) and all(t in tasks for t in kept.capability_tasks):
        return []  # the common case, without unpacking the capabilities to list where each task is
    fields = kept.unpack()
    places = [(("tasks", i), t) for i, t in enumerate(fields.tasks)]
    for c, capability in enumerate(fields.capabilities):
        places += [(("capabilities", c, "tasks", i), t) for i, t in enumerate(capability.tasks)]
    return _unknown_tasks(project, raw, places, tasks)


def _unknown_tasks(project: Project, raw: RawEntry, places: list[tuple[tuple, str]], tasks: dict) -> list[Problem]:
    problems = []
    for where, task in places:
        if task not in tasks:
            line, col = _at(project, raw, where)
            problems.append(
                Problem(raw.display, line, col, f"unknown task '{task}'{did_you_mean(task, tasks)}: use a task listed under 'tasks' in unfragile.yaml, or add it there")
            )
    return problems


def _check_compare_with(project: Project, raw: RawEntry, others: list[tuple[int, str]], slugs: dict[str, str]) -> list[Problem]:
    """``others``: the slugs that ``compare_with`` lists, each with its index in the list."""
    problems = []
    listed: set[str] = set()
    for i, other in others:
        if other == raw.slug:
            message = f"compare_with names the entry itself ('{other}'): remove it"
        elif other not in slugs:
            message = f"compare_with names no entry: '{other}'{did_you_mean(other, slugs)}: use the slug (file name) of an entry"
        elif other in listed:
            message = f"compare_with lists '{other}' twice: remove one"
        else:
            listed.add(other)
            continue
        listed.add(other)
        problems.append(Problem(raw.display, *_at(project, raw, ("compare_with", i)), message))
    return problems


def _check_samples(project: Project, raw: RawEntry, images: list[tuple[int, str]]) -> tuple[tuple[Path, ...], list[Problem]]:
    """``images``: the path of each sample image, with the sample's index."""
    problems, paths = [], []
    if not images:
        return (), problems
    content = project.content_dir.resolve()
    for i, image in images:
        named = Path(os.path.normpath(raw.path.parent / image))
        target = named.resolve()
        link = leaving_link(named, project.root) if named.is_relative_to(project.content_dir) else None
        if link is not None:
            message = f"sample image '{image}': {project.display(link)} is a {link_fix(link)}"
        elif not target.is_relative_to(content):
            message = f"sample image '{image}' is outside content/: keep sample images inside the content folder"
        elif target.suffix.lower() not in IMAGE_SUFFIXES:
            message = f"sample image '{image}' is not a {', '.join(IMAGE_SUFFIXES)} file"
        elif not target.is_file():
            message = f"sample image '{image}' not found (looked for {project.display(target)}): fix the path, relative to the entry file"
        else:
            paths.append(target)
            continue
        problems.append(Problem(raw.display, *_at(project, raw, ("samples", i, "image")), message))
    return tuple(paths), problems


def _check_captioner(project: Project, raw: RawEntry, captioner: str | None) -> list[Problem]:
    """A captioner folder must stay inside the site (a symbolic link could point anywhere)."""
    if captioner is None:
        return []
    link = leaving_link(project.root / captioner, project.root)
    if link is None:
        return []
    where = _at(project, raw, ("captioner",))
    return [Problem(raw.display, *where, f"captioner '{captioner}': {project.display(link)} is a {link_fix(link)}")]
