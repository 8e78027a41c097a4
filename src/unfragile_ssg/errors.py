"""Problems found in a site's input, reported as ``path:line:col: message``.

Every stage reports bad input through these types so that the CLI can print all of
them at once and exit non-zero, instead of a traceback.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one input file, at a 1-based line and column (0 when unknown)."""

    path: str
    line: int
    col: int
    message: str
    severity: str = field(default="error", compare=False)

    def __str__(self) -> str:
        """``path:line:col: message``; without the line and column when there are none (a
        folder, a file as a whole), without the path when the problem is with no one file.
        Control and invisible characters from content are shown escaped."""
        if not self.path:
            return printable(self.message)
        if not self.line:
            return printable(f"{self.path}: {self.message}")
        return printable(f"{self.path}:{self.line}:{self.col}: {self.message}")

    def github(self) -> str:
        """A GitHub Actions workflow command, so a pull request shows it on the line (on the
        file, or on the run as a whole, when it has no line or no file)."""
        message = printable(self.message).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        command = "error" if self.severity == "error" else "warning"
        where = []
        if self.path:
            where.append(f"file={_property(printable(self.path))}")
            if self.line:
                where += [f"line={self.line}", f"col={self.col or 1}"]
        return f"::{command} {','.join(where)}::{message}" if where else f"::{command}::{message}"


def _property(value: str) -> str:
    """A value inside a workflow command's properties, escaped as GitHub's runner expects."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")


class SiteError(Exception):
    """A failure that stops a command, carrying the problems that explain it."""

    def __init__(self, problems: Iterable[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("", 0, 0, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = sorted(set(problems))  # by file, line and column, each once
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):  # raised in a worker process, it arrives with its problems
        return SiteError, (self.problems,)


def display_path(path: Path, root: Path) -> str:
    """The path as an editor sees it: relative to the site root when inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a close choice exists, else an empty string."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


# Characters that change how text displays without being seen: bidirectional embeddings,
# overrides and isolates ("evil\u202egnp.exe" shows as "evilexe.png"), and zero-width ones.
INVISIBLE = "\u200b\u200c\u200d\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
# In messages they are escaped, as is what a terminal obeys: C0 and C1 controls (escape
# sequences start with \x1b or \x9b) and DEL,
# the marks and separators that move or break a line (left-to-right mark, line separator), and
# the lone surrogates that stand for the bytes of a file name that is not UTF-8
_UNPRINTABLE = re.compile(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}\u061c\u200e\u200f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with control and invisible characters shown as escapes (``\\x1b``, ``\\u202e``),
    so that a message quoting content can neither drive the terminal nor hide what it says."""
    return _UNPRINTABLE.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


_CONTROL_NAMES = {"\x00": "NULL", "\x07": "BELL", "\x08": "BACKSPACE", "\t": "TAB", "\n": "LINE FEED",
                  "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE", "\x7f": "DELETE", "\x9b": "CONTROL SEQUENCE INTRODUCER"}
_HIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}\u2028\u2029]")


def invisible_character(text: str) -> str | None:
    """What is wrong when ``text`` holds a control, invisible or direction-changing character:
    its code point, name and (1-based) position; None when it holds none."""
    found = _HIDDEN.search(text)
    if found is None:
        return None
    char = found.group()
    name = unicodedata.name(char, None) or _CONTROL_NAMES.get(char, "(a control character)")
    return f"contains U+{ord(char):04X} {name} at character {found.start() + 1}"
