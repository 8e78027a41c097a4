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


TWIN_NAME = "index.md"
API_ROOT = "api/v1/"
CATALOG_PATH = API_ROOT + "catalog.json"
SCHEMA_PATHS = {"passport": API_ROOT + "schema/passport.json", "catalog": API_ROOT + "schema/catalog.json"}
LLMS_PATH = "llms.txt"


def passport_path(slug: str) -> str:
    return f"{API_ROOT}passport/{slug}.json"



def twin_path(path: str) -> str | None:
    """The markdown twin of the HTML page at ``path``: ``index.md`` beside its ``index.html``
    (``models/x/`` → ``models/x/index.md``); None for a page that is a file (``404.html``)."""
    return path + TWIN_NAME if path == "" or path.endswith("/") else None


def twin_of(path: str) -> str:
    """The HTML page a twin's ``path`` is the twin of: ``models/x/index.md`` → ``models/x/``."""
    return path.removesuffix(TWIN_NAME)


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
