"""A cache of parsed and schema-checked entries, keyed by each file's path and bytes.

A rebuild parses and validates only the files that changed. A file whose size, modification
time and inode are those recorded by the last build is not even read (as git and make do);
a file modified within the last two seconds is not recorded, since a second edit within the
same timestamp tick could keep its time. The cache is a set of memos (``memo``: ``entries/NN``,
shards by file path, and ``entries/stats``, the index of file stats), and only the shards
whose entries changed are written again; a missing, damaged or outdated shard is
ignored and rebuilt, never trusted. An entry read back is checked against the schema again
(a pull request can write the cache), and one that fails is a miss.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple

from ..memo import Caches
from ..yamldoc import Positions
from .load import RawEntry
from .schema import EntryFields, EntryHead
from .validate import Fields

SHARDS = 64
SETTLE_NS = 2_000_000_000  # a file modified more recently than this is read every time


def _version() -> str:
    """The schema the records were checked against (the code's digest is in every memo's stamp)."""
    schema = repr(sorted(EntryFields.model_json_schema().items()))
    return hashlib.sha256(schema.encode()).hexdigest()


class EntryRecord(NamedTuple):
    """A valid entry as the cache stores it: plain data, its fields as the schema's JSON."""

    kind: str
    slug: str
    path: str
    display: str
    body: str
    body_line: int
    digest: str
    head: bytes  # EntryHead as JSON
    capabilities: bytes  # Fields.packed_capabilities
    capability_tasks: tuple[str, ...]
    capability_count: int


@dataclass(frozen=True)
class Codec:
    """How values of one kind become records of a type the cache file is decoded into, and back
    (``decode`` raises ValueError for a record that is not a valid value)."""

    record: Any
    encode: Callable[[Any], Any]
    decode: Callable[[str, Any], Any]


def _entry_record(value: tuple) -> EntryRecord:
    raw, _problem, (fields, _problems) = value
    return EntryRecord(raw.kind, raw.slug, str(raw.path), raw.display, raw.body, raw.body_line, raw.digest,
                       fields.head.model_dump_json(exclude_unset=True).encode(), fields.packed_capabilities,
                       fields.capability_tasks, fields.capability_count)


def _entry_value(key: str, record: EntryRecord) -> tuple:
    if key != EntryCache.key_of(record.display, record.digest):
        raise ValueError("a record kept under another file's key")
    head = EntryHead.model_validate_json(record.head)  # a ValidationError is a ValueError
    fields = Fields(head, record.capabilities, record.capability_tasks, record.capability_count)
    raw = RawEntry(record.kind, record.slug, Path(record.path), record.display, {}, Positions(), record.body,
                   record.body_line, record.digest)
    return raw, None, (fields, [])


# what the build keeps: (the entry without its text, no problem, (its fields, no problem))
ENTRY_RESULTS = Codec(EntryRecord, _entry_record, _entry_value)


def _shard(key: str) -> int:
    display = key.partition("\0")[0]
    return int.from_bytes(hashlib.blake2b(display.encode(), digest_size=2).digest(), "big") % SHARDS


Stats = dict[str, tuple[tuple[int, int, int], str]]


class EntryCache:
    def __init__(self, caches: Caches, codec: Codec = ENTRY_RESULTS):
        self.caches = caches
        self.codec = codec
        self.version = _version()
        # the cache keeps the entries it decodes: the memos need not keep the records as well
        self.shards = [caches.memo(f"entries/{shard:02d}", dict[str, codec.record], keep=False) for shard in range(SHARDS)]
        self.stats_memo = caches.memo("entries/stats", Stats, keep=False)
        self.items: dict[str, Any] = {}
        self.used: dict[str, Any] = {}
        self.loaded: list[set[str]] = [set() for _ in range(SHARDS)]
        for shard in range(SHARDS):
            # None: costs parsing its entries again
            stored = self.shards[shard].get(self.version)
            if stored is not None:
                values = self._values(stored)
                self.items.update(values)
                self.loaded[shard] = set(values)  # a record refused makes the shard written again
        self.stats: Stats = self._load_stats()
        self.seen_stats: Stats = {}

    def _values(self, records: dict[str, Any]) -> dict[str, Any]:
        values = {}
        for key, record in records.items():
            try:
                values[key] = self.codec.decode(key, record)
            except ValueError:  # not a valid entry: parsed again
                continue
        return values

    def _load_stats(self) -> Stats:
        stored = self.stats_memo.get(self.version)
        return stored if stored is not None else {}  # None: costs reading every file once

    @staticmethod
    def key(display: str, data: bytes) -> str:
        return EntryCache.key_of(display, hashlib.sha256(data).hexdigest())

    @staticmethod
    def key_of(display: str, digest: str) -> str:
        return display + "\0" + digest

    def file_key(self, display: str, path: Path) -> tuple[str, bytes | None]:
        """The key of a file and its bytes, or None for the bytes when the file's stats are
        those recorded for this key (the file was not read)."""
        status = os.stat(path)
        signature = (status.st_mtime_ns, status.st_size, status.st_ino)
        known = self.stats.get(display)
        if known is not None and known[0] == signature:
            self.seen_stats[display] = known
            return known[1], None
        data = path.read_bytes()
        key = self.key(display, data)
        if time.time_ns() - status.st_mtime_ns > SETTLE_NS:
            self.seen_stats[display] = (signature, key)
        return key, data

    def get(self, key: str) -> Any:
        value = self.items.get(key)
        if value is not None:
            self.used[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self.used[key] = value

    def save(self) -> None:
        """Keep what this build used (entries since deleted or changed are dropped), writing
        only the shards that differ from what was loaded."""
        shards: list[dict[str, Any]] = [{} for _ in range(SHARDS)]
        for key, value in self.used.items():
            shards[_shard(key)][key] = value
        for shard, items in enumerate(shards):
            if items.keys() == self.loaded[shard]:
                continue
            self.shards[shard].put({key: self.codec.encode(value) for key, value in items.items()}, self.version)
            self.loaded[shard] = set(items)
        if self.seen_stats != self.stats:
            self.stats_memo.put(self.seen_stats, self.version)
            self.stats = dict(self.seen_stats)

    def next_build(self) -> "EntryCache":
        """This cache, saved, ready for another build in the same process (``serve``): what
        this build used stays in memory, so the next one need not load it from disk."""
        self.save()
        self.items = self.used
        return self.restart()

    def restart(self) -> "EntryCache":
        """Forget what a build that stopped half-way had used (its ``items`` are still good)."""
        self.used, self.seen_stats = {}, {}
        return self
