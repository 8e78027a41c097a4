"""Run the post-processing steps over a rendered (staging) folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem


@dataclass
class PostInput:
    project: object
    context: object  # render.context.SiteContext
    pages: list  # pages.plan.PlannedPage
    folder: Path  # the staging folder, complete but not yet published
    strict: bool = False
    external_links: bool = False
    search: bool = True
    changed: int = 0  # pages rendered (not reused) in this build
    warnings: list[Problem] = field(default_factory=list)


def post_process(post: PostInput) -> list[Problem]:
    """Warnings found after rendering; raises SiteError when the build must fail."""
    return []
