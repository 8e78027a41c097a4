"""Browser tests: Debian's Chromium driven by Playwright, against the built site on a local server.

The test site (tests/browser/site) is built once per session, twice: at the server's root and
under /sub/path/ (with --base-url), and each is served by an http.server thread on 127.0.0.1.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

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


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)  # a browser cancelling a request is no error


def serve(folder: Path):
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def build(site: Path, output: Path, base_url: str | None = None) -> None:
    command = [sys.executable, "-m", "unfragile_ssg.cli", "build", "--config", str(site), "-o", str(output), "--strict"]
    if base_url:
        command += ["--base-url", base_url]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def served_sites(tmp_path_factory):
    top = tmp_path_factory.mktemp("browser-sites")
    # a copy: a build keeps its caches beside the settings, and the fixture stays as committed
    source = top / "source"
    shutil.copytree(SITE.parent, source, ignore=shutil.ignore_patterns(".unfragile-cache"))
    build(source / SITE.name, top / "root" / "site")
    build(source / SITE.name, top / "sub" / "sub" / "path", "https://browser.example/sub/path/")
    servers = {"root": serve(top / "root" / "site"), "sub": serve(top / "sub")}
    sites = {
        "root": ServedSite("root", top / "root" / "site", f"http://127.0.0.1:{servers['root'].server_port}", "/"),
        "sub": ServedSite("sub", top / "sub" / "sub" / "path", f"http://127.0.0.1:{servers['sub'].server_port}", "/sub/path/"),
    }
    yield sites
    for server in servers.values():
        server.shutdown()
        server.server_close()


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
