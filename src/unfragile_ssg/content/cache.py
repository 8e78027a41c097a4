"""A cache of parsed and schema-checked entries, keyed by each file's path and bytes.

A rebuild parses and validates only the files that changed. A file whose size, modification
time and inode are those recorded by the last build is not even read (as git and make do);
a file modified within the last two seconds is not recorded, since a second edit within the
same timestamp tick could keep its time. The cache is a folder of pickles (shards, by file
path, and the index of file stats), each written atomically, and only the shards whose
entries changed are written again; a missing, damaged or outdated shard is ignored and
rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from .. import cachefile
from .schema import EntryFields

FORMAT = 5
SHARDS = 64
SETTLE_NS = 2_000_000_000  # a file modified more recently than this is read every time


def _version() -> str:
    schema = repr(sorted(EntryFields.model_json_schema().items()))
    return cachefile.stamp(f"{FORMAT}:{hashlib.sha256(schema.encode()).hexdigest()}")


def _shard(key: str) -> int:
    display = key.partition("\0")[0]
    return int.from_bytes(hashlib.blake2b(display.encode(), digest_size=2).digest(), "big") % SHARDS


class EntryCache:
    def __init__(self, folder: Path):
        self.folder = folder
        self.version = _version()
        self.items: dict[str, Any] = {}
        self.used: dict[str, Any] = {}
        self.loaded: list[set[str]] = [set() for _ in range(SHARDS)]
        for shard in range(SHARDS):
            stored = cachefile.load(self._path(shard), self.version)  # None: costs parsing its entries again
            if isinstance(stored, dict):
                self.items.update(stored)
                self.loaded[shard] = set(stored)
        self.stats: dict[str, tuple[tuple[int, int, int], str]] = self._load_stats()
        self.seen_stats: dict[str, tuple[tuple[int, int, int], str]] = {}

    def _path(self, shard: int) -> Path:
        return self.folder / f"{shard:02d}.pickle"

    def _load_stats(self) -> dict:
        stored = cachefile.load(self.folder / "stats.pickle", self.version)  # None: costs reading every file once
        return stored if isinstance(stored, dict) else {}

    @staticmethod
    def key(display: str, data: bytes) -> str:
        return display + "\0" + hashlib.sha256(data).hexdigest()

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
            cachefile.save(self._path(shard), self.version, items)
            self.loaded[shard] = set(items)
        if self.seen_stats != self.stats:
            cachefile.save(self.folder / "stats.pickle", self.version, self.seen_stats)
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
