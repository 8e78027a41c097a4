"""The one incremental layer: every stage's cache is a memo in one cache folder.

A stage asks for the value it computed last time from the same inputs; it gets it back only
when the fingerprint of those inputs (its *key*) is the one stored beside it, and otherwise
computes the value and stores it under the new key. Every cache of a build (entries, term
counts, the match graph, scores, page manifests, links, model hashes) goes through ``Memo``,
and every cache file's place is a name in one layout (``CacheLayout``):

    <cache folder>/entries/NN.msgpack     parsed entries, in shards by file path
    <cache folder>/entries/stats.msgpack  the entry files' stats
    <cache folder>/terms.msgpack          term counts per entry file
    <cache folder>/graph.msgpack          the match graph and what updates it incrementally
    <cache folder>/scores.msgpack         scores by the fingerprint of their inputs
    <cache folder>/builds/<folder>.msgpack  the pages an output folder holds
    <cache folder>/links/<folder>.msgpack   the links of an output folder's pages
    <cache folder>/caption-model-hashes.msgpack
    <cache folder>/evidence/http.msgpack  ETags and bodies of evidence requests (not a Memo:
                                          ``evidence.http.EtagCache`` reads and writes it)

Each file is a ``cachefile`` (keyed checksum, typed MessagePack: caches are untrusted input,
never unpickled), stamped with its name and the digest of the code: one version for all,
which any change of the code changes. The key is read before the value is decoded, so a
stale value costs reading its file, never decoding it. A value also stays in memory, with
its key, for the next build in the same process (``serve``): a build that finds it there
neither reads nor decodes the file. Values handed out are shared: callers never mutate them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Generic, TypeVar

from . import cachefile

T = TypeVar("T")


class CacheLayout:
    """Where each cache lives under one folder: the only place cache paths are chosen."""

    def __init__(self, root: Path):
        self.root = root

    def file(self, name: str) -> Path:
        return self.root / f"{name}{cachefile.SUFFIX}"

    @staticmethod
    def of_folder(kind: str, folder: Path) -> str:
        """The name of a cache kept per output folder (``builds``, ``links``)."""
        return f"{kind}/{hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]}"


@dataclass
class _Held:
    key: str
    value: Any
    stored: bytes  # a digest of the value as its file holds it (b"" when unknown)


class Caches:
    """A build's caches: one layout, and what this process holds of them in memory."""

    def __init__(self, root: Path):
        self.layout = CacheLayout(root)
        self._held: dict[str, _Held] = {}

    @property
    def root(self) -> Path:
        return self.layout.root

    def memo(self, name: str, kind: Any, keep: bool = True) -> "Memo":
        """The memo ``name`` of this layout; ``keep=False`` for one whose caller keeps what it
        made of the value (the entry cache): the value is then read from its file each time."""
        return Memo(self, name, kind, keep)


def _digest(payload) -> bytes:
    return hashlib.blake2b(payload, digest_size=16).digest()


class Memo(Generic[T]):
    """One cache of a ``Caches``: the value stored under ``name``, decoded into ``kind``."""

    def __init__(self, caches: Caches, name: str, kind: Any, keep: bool = True):
        self.caches = caches
        self.name = name
        self.kind = kind
        self.keep = keep
        self.path = caches.layout.file(name)

    def _version(self) -> str:
        return cachefile.stamp(f"memo:{self.name}")

    def get(self, key: str | None = None) -> T | None:
        """The value stored under ``key`` (any key when none is given); None when there is no
        such value, or when the file is missing, damaged, of another version or shape."""
        found = self._get(key)
        return found.value if found is not None else None

    def get_any(self) -> tuple[str, T] | None:
        """The stored key and value, whatever the key (for updating a value incrementally)."""
        found = self._get(None)
        return (found.key, found.value) if found is not None else None

    def _get(self, key: str | None) -> _Held | None:
        held = self.caches._held.get(self.name)
        if held is None or not self.keep:
            stored = cachefile.load(self.path, self._version(), tuple[str, cachefile.Raw])
            if stored is None:
                return None
            stored_key, raw = stored
            if key is not None and stored_key != key:
                return None  # stale: left encoded
            try:
                value = cachefile.decode(raw, self.kind)
            except ValueError:  # of another shape: computed again
                return None
            held = _Held(stored_key, value, _digest(raw))
            self.caches._held[self.name] = held if self.keep else _Held(stored_key, None, held.stored)
        if key is not None and held.key != key:
            return None
        return held

    def put(self, value: T, key: str = "") -> None:
        """Keep ``value`` under ``key``: in memory, and in the file unless it holds it already."""
        payload = cachefile.encode(value)
        stored = _digest(payload)
        held = self.caches._held.get(self.name)
        if held is not None and held.key == key and held.stored == stored:
            if self.keep:
                held.value = value
            return
        cachefile.save(self.path, self._version(), (key, cachefile.Raw(payload)))
        self.caches._held[self.name] = _Held(key, value if self.keep else None, stored)

    def forget(self) -> None:
        """Drop the value (and its file): what it was computed from is about to change."""
        self.caches._held.pop(self.name, None)
        self.path.unlink(missing_ok=True)

    def recall(self, key: str, compute: Callable[[], T]) -> T:
        """The value stored under ``key``, or ``compute()``, stored under it."""
        found = self.get(key)
        if found is not None:
            return found
        value = compute()
        self.put(value, key)
        return value
