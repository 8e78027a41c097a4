"""When each content file was added and last changed, from the git history.

The history is read with one ``git log`` for the whole content folder, never once per file.
Pages show the dates ("Last updated"), the sitemap's ``lastmod`` and the feed use them.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileDates:
    created: str  # ISO 8601 date-time of the first commit that added the file
    updated: str  # of the last commit that changed it


def git_dates(root: Path, folder: str = "content") -> dict[str, FileDates]:
    """Commit dates of every file under ``root/folder`` with a git history, by path relative to ``root``.

    Empty when ``root`` is not in a git work tree or git is missing: pages then have no date.
    """
    try:
        out = subprocess.run(
            ["git", "-c", "core.quotepath=off", "log", "-z", "--format=%x1e%cI", "--name-only",
             "--no-renames", "--relative", "--", folder],
            cwd=root, capture_output=True, timeout=120, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if out.returncode != 0:
        return {}
    latest: dict[str, str] = {}
    first: dict[str, str] = {}
    for record in out.stdout.decode("utf-8", "replace").split("\x1e"):
        tokens = [t.strip("\n") for t in record.replace("\n", "\0").split("\0")]
        tokens = [t for t in tokens if t]
        if not tokens:
            continue
        date, files = tokens[0], tokens[1:]
        for name in files:
            latest.setdefault(name, date)  # newest commit comes first
            first[name] = date  # ... and the oldest last
    return {name: FileDates(first[name], latest[name]) for name in latest}
