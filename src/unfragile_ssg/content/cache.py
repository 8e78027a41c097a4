"""A cache of parsed and schema-checked entries, keyed by each file's path and bytes.

A rebuild reads every file (to see whether it changed) but parses and validates only
the ones that did. The cache is one pickle written atomically; a missing, damaged or
outdated one is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from .. import __version__
from .schema import EntryFields

FORMAT = 1


def _version() -> str:
    schema = repr(sorted(EntryFields.model_json_schema().items()))
    return hashlib.sha256(f"{FORMAT}:{__version__}:{schema}".encode()).hexdigest()


class EntryCache:
    def __init__(self, path: Path):
        self.path = path
        self.version = _version()
        self.items: dict[str, Any] = {}
        self.used: dict[str, Any] = {}
        try:
            with open(path, "rb") as handle:
                stored = pickle.load(handle)
            if isinstance(stored, dict) and stored.get("version") == self.version:
                self.items = stored["items"]
        except Exception:  # any damage only costs a full parse
            self.items = {}

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
        """Keep what this build used (entries since deleted or changed are dropped)."""
        if self.used.keys() == self.items.keys():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as handle:
            pickle.dump({"version": self.version, "items": self.used}, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.path)
