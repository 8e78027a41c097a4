"""Pretty URLs, all relative to the site's base path, and the files they are written to."""

from __future__ import annotations

from ..catalog.model import Pair


def entry_path(kind: str, slug: str) -> str:
    return f"{kind}/{slug}/"


def compare_path(pair: Pair) -> str:
    return f"compare/{pair.slug}/"


def task_path(task: str) -> str:
    return f"tasks/{task}/"


def pricing_path(pricing: str) -> str:
    return f"pricing/{pricing}/"


def paged(path: str, number: int) -> str:
    """The URL of page ``number`` (1-based) of a paginated list at ``path``."""
    return path if number == 1 else f"{path}page/{number}/"


def output_file(path: str) -> str:
    """The file that serves a URL path: ``models/x/`` → ``models/x/index.html``."""
    if path == "" or path.endswith("/"):
        return path + "index.html"
    return path


class Linker:
    """Turns site paths into links under the base path (``/`` or ``/sub/path/``)."""

    def __init__(self, base_path: str, base_url: str):
        self.base_path = base_path if base_path.endswith("/") else base_path + "/"
        self.base_url = base_url

    def url(self, path: str = "") -> str:
        return self.base_path + path.lstrip("/")

    def absolute(self, path: str = "") -> str:
        return self.base_url + path.lstrip("/")
