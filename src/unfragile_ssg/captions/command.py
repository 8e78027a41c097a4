"""``unfragile captions``: run only the captioning step, with a progress bar."""

from __future__ import annotations

import sys
from typing import Any, Mapping, TextIO

from ..config import Project
from ..errors import SiteError


def run_captions_command(project: Project, *, prune: bool, strict: bool, overrides: Mapping[str, Any] | None = None,
                         stream: TextIO | None = None) -> int:
    """Caption every sample image that the store lacks; optionally prune the store.

    Returns the exit code: 0 when every sample is captioned, 1 when problems remain (invalid
    entries, unreadable images, a model that cannot be loaded).
    """
    from ..content.entries import load_site_entries
    from ..memo import Caches
    from .step import caption_entries, effective_settings, prune_store

    out = stream or sys.stderr
    try:
        settings = effective_settings(project, overrides)
        problems: list = []
        entries, _ = load_site_entries(project, Caches(project.cache_dir), problems_found=problems)
        for problem in problems:
            print(problem, file=out)
        if problems:
            print(f"captions: {len(problems)} problem(s) in the content; captioning the {len(entries)} valid entries", file=out)
        report = caption_entries(project, entries, strict=strict, progress=True, overrides=overrides,
                                 compute_pending=True, migrate=True)
    except SiteError as error:
        for problem in error.problems:
            print(problem, file=out)
        return 1
    if report.migrated:
        print(f"captions: moved {report.migrated} stored item(s) into the store's sharded layout (ab/<key>/, images/cd/)", file=out)
    for problem in report.warnings:
        print(f"{problem}" if problem.severity == "error" else f"warning: {problem}", file=out)
    for entry in entries:
        views = report.samples.get(entry.slug, [])
        if entry.head.captions_pending and views and all(v.captioned for v in views):
            print(f"note: {entry.source}: every sample is captioned now; its `captions_pending` line can go", file=out)
    total = sum(len(v) for v in report.samples.values())
    captioned = sum(1 for v in report.samples.values() for s in v if s.captioned)
    print(
        f"captions: {captioned}/{total} sample images captioned ({report.hits} from the store, "
        f"{report.computed} computed) by {settings.model}, in {report.seconds:.1f} s; store: {project.display(project.caption_store)}/",
        file=out,
    )
    if prune:
        removed = prune_store(project, entries, overrides)
        print(f"captions: pruned {removed} unused item(s) from the store", file=out)
    return 1 if problems or report.errors or captioned < total else 0
