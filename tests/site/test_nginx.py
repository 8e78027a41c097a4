"""The output behind a real host: Debian's nginx, on 127.0.0.1, with the server block that
README.md documents (deploy/nginx-site.conf), serving a build of the fixture site."""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from unfragile_ssg.config import load_project
from unfragile_ssg.site.build import BuildOptions, build_site

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None)
MIME_TYPES = Path("/etc/nginx/mime.types")
pytestmark = pytest.mark.skipif(NGINX is None or not MIME_TYPES.is_file(), reason="Debian's nginx is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def nginx(basic_site: Path, tmp_path: Path):
    # nginx started by root serves as 'nobody', who cannot enter pytest's private tmp_path
    served = Path(tempfile.mkdtemp(prefix="unfragile-nginx-"))
    served.chmod(0o755)
    site = served / "public"
    build_site(load_project(basic_site), BuildOptions(output=site, search=False, captions=False, cache_dir=tmp_path / "cache"))
    port = free_port()
    server = (ROOT / "deploy/nginx-site.conf").read_text("utf-8")
    server = server.replace("listen 80;", f"listen 127.0.0.1:{port};").replace("root /srv/catalog/public;", f"root {site};")
    assert str(site) in server and str(port) in server  # the documented lines are the ones replaced
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    (prefix / "site.conf").write_text(server, "utf-8")
    temp = " ".join(f"{name}_temp_path {prefix / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (prefix / "nginx.conf").write_text(
        f"worker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'logs/error.log'};\n"
        f"events {{ worker_connections 64; }}\nhttp {{ access_log off; {temp} include {prefix / 'site.conf'}; }}\n", "utf-8")
    process = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                               stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"nginx did not start: {process.stderr.read().decode()}")
                time.sleep(0.05)
        yield port, site
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(served, ignore_errors=True)
    assert b"[warn]" not in (prefix / "logs/error.log").read_bytes()  # the documented block gives nginx nothing to warn about


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_nginx_serves_each_file_with_its_type(nginx) -> None:
    port, site = nginx
    expected = {
        "/api/v1/passport/alpha-captioner.json": "application/json",
        "/api/v1/catalog.json": "application/json",
        "/api/v1/schema/passport.json": "application/json",
        "/models/alpha-captioner/index.md": "text/markdown; charset=utf-8",
        "/index.md": "text/markdown; charset=utf-8",
        "/llms.txt": "text/plain; charset=utf-8",
        "/models/alpha-captioner/": "text/html; charset=utf-8",
        "/sitemap.xml": "text/xml; charset=utf-8",
    }
    for path, content_type in expected.items():
        status, headers, body = get(port, path)
        assert (status, headers["content-type"]) == (200, content_type), path
        file = site / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
        assert body == file.read_bytes(), path


def test_nginx_serves_pretty_urls_and_the_404_page(nginx) -> None:
    port, site = nginx
    status, headers, _ = get(port, "/models/alpha-captioner")
    assert (status, headers["location"]) == (301, "/models/alpha-captioner/")
    status, headers, body = get(port, "/models/no-such-entry/")
    assert (status, headers["content-type"]) == (404, "text/html; charset=utf-8")
    assert body == (site / "404.html").read_bytes()
