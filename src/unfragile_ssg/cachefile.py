"""One cache file: a pickle stamped with the version of what wrote it, replaced atomically.

Every cache of a build (entries, term counts, scores, links) is one or more such files. A
file that is missing, damaged, or written by another version of the code or format reads as
absent, so that a cache can cost time but never give a wrong result; a crash half-way through
a write leaves the previous file in place."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import __version__


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The version and the source of this package: an edited checkout invalidates every cache
    and every page key, as a release does."""
    return source_digest(Path(__file__).parent, __version__)


def source_digest(package: Path, version: str) -> str:
    hasher = hashlib.blake2b(version.encode(), digest_size=16)
    for path in sorted(package.rglob("*.py")):
        hasher.update(path.relative_to(package).as_posix().encode() + b"\0")
        hasher.update(path.read_bytes())
    return hasher.hexdigest()


def stamp(fmt: object) -> str:
    """The version a cache file records: its own format and the code that writes it."""
    return f"{fmt}:{code_digest()}"


def load(path: Path, version: str) -> Any:
    """What ``save`` stored at ``path`` under ``version``; None when it cannot be used."""
    try:
        with open(path, "rb") as handle:
            stored = pickle.load(handle)
    except Exception:  # missing or damaged: only costs computing it again
        return None
    if not isinstance(stored, dict) or stored.get("version") != version:
        return None
    return stored.get("data")


def save(path: Path, version: str, data: Any) -> None:
    write_atomically(path, pickle.dumps({"version": version, "data": data}, protocol=pickle.HIGHEST_PROTOCOL))


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a reader (or a crash) sees the old file or the new one,
    never a part of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load_json(path: Path, version: str, max_bytes: int) -> Any:
    """What ``save_json`` stored; None when missing, larger than ``max_bytes``, damaged or of
    another version. For caches that travel with the content (pull requests from strangers),
    where unpickling is out of the question."""
    try:
        if path.stat().st_size > max_bytes:
            return None
        stored = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(stored, dict) or stored.get("version") != version:
        return None
    return stored.get("data")


def save_json(path: Path, version: str, data: Any) -> None:
    text = json.dumps({"version": version, "data": data}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    write_atomically(path, text.encode("utf-8"))
