"""What a source reports about one entry: facts bound for ``signals``, and notes for the editor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

SignalShape = Literal["count", "size", "day"]


@dataclass(frozen=True)
class Fact:
    """One signal as a source states it. ``source`` is the page a reader opens to see it; a
    signal already in the entry is this fact's to refresh only when its source is that page
    (or starts with ``owns_prefix``): a value an editor took from elsewhere is never replaced."""

    signal: str
    shape: SignalShape
    value: int | dt.date
    source: str
    owns_prefix: str | None = None

    def owns(self, existing_source: str) -> bool:
        if _same_page(existing_source, self.source):
            return True
        return self.owns_prefix is not None and existing_source.startswith(self.owns_prefix)

    def as_signal(self, today: dt.date) -> dict[str, Any]:
        if self.shape == "count":
            return {"value": self.value, "as_of": today, "source": self.source}
        return {"value": self.value, "source": self.source}


def _same_page(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


class SourceFailure(Exception):
    """A source could not give this entry's facts; ``message`` says what to do."""

    def __init__(self, message: str, where: tuple = ()):
        super().__init__(message)
        self.message, self.where = message, where


class Unreachable(SourceFailure):
    """The host did not answer at all: every later entry on it would fail the same way."""


@dataclass
class Fetched:
    facts: list[Fact] = field(default_factory=list)
    notes: list[tuple[tuple, str]] = field(default_factory=list)  # (field path in the entry, message)
    metadata: dict[str, Any] = field(default_factory=dict)  # what importers use: title, author, tags...


def count(data: dict, key: str, what: str) -> int | None:
    """A non-negative integer from an API answer, None when absent; wrong types fail loudly."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SourceFailure(f"the answer's '{key}' ({what}) is {value!r}, not a count: the API may have changed; "
                            "report it, and keep the entry's value until then")
    return value


def day(value: Any, key: str) -> dt.date | None:
    """The date of an ISO 8601 timestamp (``2024-01-31T12:00:00Z``), None when absent."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    raise SourceFailure(f"the answer's '{key}' is {value!r}, not a date: the API may have changed; report it")
