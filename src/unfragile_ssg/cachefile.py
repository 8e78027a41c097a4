"""One cache file: typed MessagePack, stamped and checksummed, replaced atomically.

Every cache of a build (entries, term counts, the match graph, scores, page manifests, links,
model hashes) is one or more such files. Caches arrive by pull request like content does, so
nothing in them is trusted: the format holds data only (MessagePack, never a pickle: loading
cannot run code), and a file reads as absent when it is missing, damaged (its checksum), written
by another version of the code or format (its stamp) or of the wrong shape (it is decoded into
the type its reader declares, which checks every field). A cache can cost time but never give a
wrong result or a traceback; a crash half-way through a write leaves the previous file in place
and a temporary file that the next build removes (``remove_stale_temporaries``).

The checksum is keyed with a secret of the user's (``cache_key``), which a pull request cannot
know: a file it adds, however well formed, is not one this machine wrote, and reads as absent.
So a cache cannot bring in values that the content under review does not give either.

    magic (16 bytes) | stamp length (4 bytes) | stamp | keyed blake2b-128 of stamp and payload | payload
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec

from . import __version__

MAGIC = b"unfragile-cache\x01"
SUFFIX = ".msgpack"
_LENGTH = struct.Struct(">I")
_DIGEST_SIZE = 16
KEY_VARIABLE = "UNFRAGILE_CACHE_KEY"  # the key as text, e.g. from a CI secret, for caches shared between machines
_TEMPORARY = re.compile(r"\..+\.(\d+)\.tmp\Z")  # what ``save`` writes before the rename
# files of the caches this format replaced (pickles, JSON): never read, removed
_LEGACY = re.compile(r"(.*\.pickle|builds/[0-9a-f]{16}\.json|caption-model-hashes\.json)")

Raw = msgspec.Raw  # a part of a payload left encoded, to decode later (or never) with ``decode``


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


@lru_cache(maxsize=1)
def cache_key() -> bytes:
    """The secret the checksums are keyed with: ``$UNFRAGILE_CACHE_KEY`` when set, else a random
    one kept for the user (``~/.cache/unfragile-ssg/cache-key``, made on first use, readable by
    the user only), else, where that cannot be written, one for this process alone (caches then
    last one process, as in ``serve``)."""
    given = os.environ.get(KEY_VARIABLE)
    if given:
        return hashlib.blake2b(given.encode(), digest_size=32).digest()
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(home, "unfragile-ssg", "cache-key")
    kept = _read_key(path)
    if kept is not None:
        return kept
    made = secrets.token_bytes(32)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            handle.write(made)
        if os.path.lexists(path):
            os.replace(temporary, path)  # a damaged key: replaced
        else:
            os.link(temporary, path)  # fails when another process made one meanwhile: then it is the key
    except OSError:
        pass
    finally:
        try:
            os.unlink(temporary)
        except OSError:
            pass
    return _read_key(path) or made  # nowhere to keep it: this process's own


def _read_key(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            key = handle.read(33)
    except OSError:
        return None
    return key if len(key) == 32 else None


def _checksum(label, payload) -> bytes:
    hasher = hashlib.blake2b(label, digest_size=_DIGEST_SIZE, key=cache_key())
    hasher.update(payload)
    return hasher.digest()


@lru_cache(maxsize=64)
def _decoder(kind: Any) -> msgspec.msgpack.Decoder:
    return msgspec.msgpack.Decoder(kind)


_ENCODER = msgspec.msgpack.Encoder()


def encode(data: Any) -> bytes:
    """``data`` (built-in types, dataclasses, named tuples, typed dicts) as MessagePack."""
    return _ENCODER.encode(data)


def decode(payload: bytes | Raw, kind: Any = Any) -> Any:
    """``payload`` decoded into ``kind``; raises ``msgspec.DecodeError`` or ``ValidationError``
    (both ``ValueError``) when it is damaged or of another shape."""
    return _decoder(kind).decode(payload)


def unframe(framed: bytes, version: str) -> memoryview | None:
    """The payload of a cache file's bytes, or None unless its magic, stamp and checksum hold."""
    view = memoryview(framed)
    head = len(MAGIC) + _LENGTH.size
    if len(view) < head or view[: len(MAGIC)] != MAGIC:
        return None
    (length,) = _LENGTH.unpack_from(view, len(MAGIC))
    body = head + length + _DIGEST_SIZE
    if len(view) < body or view[head : head + length] != version.encode():
        return None
    payload = view[body:]
    return payload if _checksum(view[head : head + length], payload) == view[head + length : body] else None


def frame(version: str, payload: bytes) -> bytes:
    label = version.encode()
    return b"".join((MAGIC, _LENGTH.pack(len(label)), label, _checksum(label, payload), payload))


def load(path: Path, version: str, kind: Any = Any) -> Any:
    """What ``save`` stored at ``path`` under ``version``, decoded into ``kind``; None when it
    cannot be used (missing, damaged, another version, another shape)."""
    try:
        payload = unframe(path.read_bytes(), version)
        return decode(payload, kind) if payload is not None else None
    except (OSError, ValueError):  # missing, damaged or of another shape: only costs computing it again
        return None


def save(path: Path, version: str, data: Any) -> None:
    """Store ``data`` at ``path``: a new file renamed over the old one, never written through."""
    write_atomically(path, frame(version, encode(data)))


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a reader (or a crash) sees the old file or the new one,
    never a part of either; a killed write's temporary file is removed by the next build
    (``remove_stale_temporaries``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> int:
    """Remove, anywhere under ``folder``, the temporary files of writes that were killed before
    their rename (their process is gone), and the pickles of the format this one replaced;
    return how many went. Only this module's names are touched."""
    removed = 0
    if not folder.is_dir():
        return 0
    root = str(folder)
    for directory, _folders, files in os.walk(root):
        prefix = directory[len(root) + 1 :].replace(os.sep, "/")
        for name in files:
            match = _TEMPORARY.match(name)
            if (match and not process_running(int(match.group(1)))) or _LEGACY.fullmatch(f"{prefix}/{name}" if prefix else name):
                try:
                    os.unlink(os.path.join(directory, name))
                    removed += 1
                except OSError:
                    pass
    return removed


def process_running(pid: int) -> bool:
    """Whether a process with this id runs (one of another user's counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # another user's process: leave its files alone
        return True
    return True
