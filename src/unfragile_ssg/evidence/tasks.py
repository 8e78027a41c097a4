"""Hugging Face pipeline tags, and manifest intents, onto the site's task vocabulary."""

from __future__ import annotations

import re
from typing import Iterable

# Pipeline tags whose job a site task of another name describes. A tag that is itself the name
# of a site task maps to it without being listed here.
PIPELINE_TASKS = {
    "image-to-text": "image-captioning",
    "image-text-to-text": "visual-question-answering",
    "visual-question-answering": "visual-question-answering",
    "document-question-answering": "visual-question-answering",
    "zero-shot-object-detection": "object-detection",
    "text-to-image": "image-generation",
    "image-to-image": "image-generation",
    "text2text-generation": "text-generation",
    "image-feature-extraction": "image-text-retrieval",
}


def slug_of(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def site_task(tag: str, tasks: Iterable[str]) -> str | None:
    """The site task a pipeline tag (or an intent such as 'Image captioning') names, or None."""
    tasks = set(tasks)
    slug = slug_of(tag)
    if slug in tasks:
        return slug
    mapped = PIPELINE_TASKS.get(slug)
    return mapped if mapped in tasks else None
