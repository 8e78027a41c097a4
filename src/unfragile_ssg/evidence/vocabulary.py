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


# Hub licence ids (lower-case, as in model cards) spelled as this catalog spells them: the SPDX
# identifier where one exists, else the licence's own name.
LICENSES = {
    "apache-2.0": "Apache-2.0", "mit": "MIT", "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause",
    "cc0-1.0": "CC0-1.0", "cc-by-4.0": "CC-BY-4.0", "cc-by-sa-4.0": "CC-BY-SA-4.0", "cc-by-nc-4.0": "CC-BY-NC-4.0",
    "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0", "cc-by-nc-nd-4.0": "CC-BY-NC-ND-4.0", "gpl-3.0": "GPL-3.0",
    "agpl-3.0": "AGPL-3.0", "lgpl-3.0": "LGPL-3.0", "mpl-2.0": "MPL-2.0", "unlicense": "Unlicense",
    "openrail": "OpenRAIL", "creativeml-openrail-m": "CreativeML-OpenRAIL-M", "bigscience-openrail-m": "BigScience-OpenRAIL-M",
    "llama2": "Llama 2 Community License", "llama3": "Llama 3 Community License", "gemma": "Gemma Terms of Use",
}


def catalog_license(hub_license: str) -> str:
    return LICENSES.get(hub_license.lower(), hub_license)


def same_license(a: str, b: str) -> bool:
    return catalog_license(a).lower() == catalog_license(b).lower()
