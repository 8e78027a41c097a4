"""Confinement: every file the build reads lies inside the site, symbolic links included.

Content arrives by pull request, and a pull request can add a symbolic link as easily as a
file: ``content/models/x.md -> /home/ci/.ssh/id_rsa`` would otherwise be read and published.
A link that stays inside the site is followed; one that leads out is a problem naming the
link, where it points, and the fix. Every reader of site files (entries, kind folders,
assets, layouts, samples, captioner folders, the files the build publishes) asks here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from .errors import Problem

FIX = "replace the link with the {what} itself"


def leaving_link(path: Path, root: Path) -> Path | None:
    """The symbolic link on the way from ``root`` to ``path`` that leads outside ``root``
    (the first one: a link inside the site may point at another), or None when every link
    on the way, if any, stays inside. ``path`` must be ``root`` joined with a relative path."""
    real_root = root.resolve()
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        if current.is_symlink() and not current.resolve().is_relative_to(real_root):
            return current
    return None


def link_fix(link: Path) -> str:
    """Where ``link`` points, and what to do about it."""
    try:
        target = os.readlink(link)
    except OSError:
        target = "?"
    what = "folder" if link.is_dir() else "file"
    leads_to = link.resolve()
    if Path(os.path.normpath(link.parent.resolve() / target)) != leads_to:  # through other links
        target += f"' (which leads to '{leads_to}')"
    else:
        target += "'"
    return f"symbolic link to '{target}, outside the site: {FIX.format(what=what)}"


def link_problem(link: Path, display: Callable[[Path], str]) -> Problem:
    """The problem for a symbolic link that leads outside the site, at the link."""
    return Problem(display(link), 0, 0, link_fix(link))


def outside_site(path: Path, root: Path, display: Callable[[Path], str]) -> Problem | None:
    """A problem when ``path`` (inside ``root`` by its name) leads outside it by a symbolic link."""
    link = leaving_link(path, root)
    return None if link is None else link_problem(link, display)


def site_files(folder: Path, root: Path, display: Callable[[Path], str]) -> tuple[list[Path], list[Problem]]:
    """Every file under ``folder`` (sorted, hidden ones too), following symbolic links that stay
    inside ``root``; a problem for each link that leads out (its files are not listed)."""
    if not folder.is_dir() and not folder.is_symlink():
        return [], []
    problem = outside_site(folder, root, display)
    if problem is not None:
        return [], [problem]
    if not folder.is_dir():
        return [], []
    real_root = root.resolve()
    files: list[Path] = []
    problems: list[Problem] = []
    visited: set[Path] = set()

    def walk(directory: Path) -> None:
        real = directory.resolve()
        if real in visited:  # a link back up the tree
            return
        visited.add(real)
        with os.scandir(directory) as found:
            children = sorted(found, key=lambda item: item.name)
        for child in children:
            path = directory / child.name
            if child.is_symlink() and not path.resolve().is_relative_to(real_root):
                problems.append(link_problem(path, display))
            elif child.is_dir():
                walk(path)
            elif child.is_file():
                files.append(path)

    walk(folder)
    return files, problems
