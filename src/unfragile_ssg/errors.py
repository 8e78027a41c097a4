"""Problems found in a site's input, reported as ``path:line:col: message``.

Every stage reports bad input through these types so that the CLI can print all of
them at once and exit non-zero, instead of a traceback.
"""

from __future__ import annotations

import difflib
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
        folder, a file as a whole), without the path when the problem is with no one file."""
        if not self.path:
            return self.message
        if not self.line:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}:{self.col}: {self.message}"

    def github(self) -> str:
        """A GitHub Actions workflow command, so a pull request shows it on the line (on the
        file, or on the run as a whole, when it has no line or no file)."""
        message = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        command = "error" if self.severity == "error" else "warning"
        where = []
        if self.path:
            where.append(f"file={_property(self.path)}")
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
