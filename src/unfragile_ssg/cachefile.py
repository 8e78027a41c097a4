"""One cache file: a pickle stamped with the version of what wrote it, replaced atomically.

Every cache of a build (entries, term counts, scores, links) is one or more such files. A
file that is missing, damaged, or written by another version of the code or format reads as
absent, so that a cache can cost time but never give a wrong result; a crash half-way through
a write leaves the previous file in place."""

from __future__ import annotations

import hashlib
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
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            pickle.dump({"version": version, "data": data}, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
