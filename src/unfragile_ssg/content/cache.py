"""A cache of parsed and schema-checked entries, keyed by each file's path and bytes.

A rebuild reads every file (to see whether it changed) but parses and validates only
the ones that did. The cache is a folder of pickles (shards, by file path), each written
atomically, and only the shards whose entries changed are written again; a missing, damaged
or outdated shard is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from .. import __version__
from .schema import EntryFields

FORMAT = 2
SHARDS = 64


def _version() -> str:
    schema = repr(sorted(EntryFields.model_json_schema().items()))
    return hashlib.sha256(f"{FORMAT}:{__version__}:{schema}".encode()).hexdigest()


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
            try:
                with open(self._path(shard), "rb") as handle:
                    stored = pickle.load(handle)
            except Exception:  # missing or damaged: only costs parsing its entries again
                continue
            if isinstance(stored, dict) and stored.get("version") == self.version:
                self.items.update(stored["items"])
                self.loaded[shard] = set(stored["items"])

    def _path(self, shard: int) -> Path:
        return self.folder / f"{shard:02d}.pickle"

    @staticmethod
    def key(display: str, data: bytes) -> str:
        return display + "\0" + hashlib.sha256(data).hexdigest()

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
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self._path(shard)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(temporary, "wb") as handle:
                pickle.dump({"version": self.version, "items": items}, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
            self.loaded[shard] = set(items)
