"""Browser tests: Debian's Chromium driven by Playwright, against the built site as nginx serves it.

The test site (tests/browser/site) is built once per session, twice: at the server's root and
under /sub/path/ (with --base-url), and each is served by Debian's nginx on 127.0.0.1 with the
server block README.md documents (tests/nginx.py). The example site (this repository's content)
is built and served the same way, at the root, for the checks that need a full catalog.
Without nginx these tests are skipped, saying so.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.nginx import AVAILABLE as NGINX_AVAILABLE, MISSING as NGINX_MISSING, nginx, served_folder, warnings_logged

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(__file__).resolve().parent / "site" / "unfragile.yaml"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@dataclass
class ServedSite:
    name: str  # "root" or "sub"
    folder: Path  # the built site
    origin: str  # http://127.0.0.1:PORT
    base_path: str  # "/" or "/sub/path/"

    def url(self, path: str = "") -> str:
        return self.origin + self.base_path + path.lstrip("/")

    def pages(self) -> list[str]:
        """Every HTML page's URL path under the base path ('', 'models/x/', '404.html')."""
        found = []
        for file in sorted(self.folder.rglob("*.html")):
            relative = file.relative_to(self.folder).as_posix()
            if relative.startswith("pagefind/"):
                continue
            found.append(relative[: -len("index.html")] if relative.endswith("index.html") else relative)
        return found


def build(site: Path, output: Path, base_url: str | None = None) -> None:
    command = [sys.executable, "-m", "unfragile_ssg.cli", "build", "--config", str(site), "-o", str(output), "--strict"]
    if base_url:
        command += ["--base-url", base_url]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@contextlib.contextmanager
def served_at_root_and_under_sub_path(top: Path, work: Path):
    """nginx serving ``top/root/site`` at the root and ``top/sub`` (a site built for
    ``/sub/path/``, in ``top/sub/sub/path``) under its sub-path; yields both as ServedSites."""
    with nginx(top / "root" / "site", work / "nginx-root") as root, \
            nginx(top / "sub", work / "nginx-sub", base_path="/sub/path/") as sub:
        yield {
            "root": ServedSite("root", top / "root" / "site", root, "/"),
            "sub": ServedSite("sub", top / "sub" / "sub" / "path", sub, "/sub/path/"),
        }


@pytest.fixture(scope="session")
def served_sites(tmp_path_factory):
    if not NGINX_AVAILABLE:
        pytest.skip(NGINX_MISSING)
    top = served_folder("unfragile-browser-")
    work = tmp_path_factory.mktemp("browser-nginx")
    # a copy: a build keeps its caches beside the settings, and the fixture stays as committed
    source = work / "source"
    shutil.copytree(SITE.parent, source, ignore=shutil.ignore_patterns(".unfragile-cache"))
    build(source / SITE.name, top / "root" / "site")
    build(source / SITE.name, top / "sub" / "sub" / "path", "https://browser.example/sub/path/")
    try:
        with served_at_root_and_under_sub_path(top, work) as sites:
            yield sites
    finally:
        shutil.rmtree(top, ignore_errors=True)
    for name in ("nginx-root", "nginx-sub"):
        assert warnings_logged(work / name) == []


@pytest.fixture(scope="session")
def served_example(tmp_path_factory):
    """This repository's example site, built with its search index and served by nginx at the root."""
    if not NGINX_AVAILABLE:
        pytest.skip(NGINX_MISSING)
    top = served_folder("unfragile-example-")
    work = tmp_path_factory.mktemp("example-nginx")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "public", ".public*", ".unfragile-cache", "tests", "artifacts", "src", "bench", "*.egg-info"))
    build(source / "unfragile.yaml", top / "site")
    try:
        with nginx(top / "site", work / "nginx") as origin:
            yield ServedSite("example", top / "site", origin, "/")
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(params=["root", "sub"])
def site(request, served_sites) -> ServedSite:
    return served_sites[request.param]


@pytest.fixture
def context(chromium):
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()
