"""Fingerprints: a short, stable digest of any values that have a deterministic repr.

Used wherever a result is reused while what it was made from is unchanged (page keys,
breakdowns, the search index). Values must not contain sets or dicts built in an
order that varies between runs: their repr would vary too."""

from __future__ import annotations

import hashlib


def fingerprint(*parts: object) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(repr(part).encode())
        hasher.update(b"\x00")
    return hasher.hexdigest()
