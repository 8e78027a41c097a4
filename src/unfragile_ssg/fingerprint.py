"""Fingerprints: a short, stable digest of any values that have a deterministic repr.

Used wherever a result is reused while what it was made from is unchanged (page keys,
breakdowns, the search index). Values must not contain sets or dicts built in an
order that varies between runs: their repr would vary too."""

from __future__ import annotations

import hashlib


def fingerprint(*parts: object) -> str:
    # one repr of the tuple: the parts' reprs are made in C, without a call per part
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
