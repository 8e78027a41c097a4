"""The output behind a real host: Debian's nginx, on 127.0.0.1, with the server block that
README.md documents (deploy/nginx-site.conf), serving a build of the fixture site."""

from __future__ import annotations

import http.client
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.nginx import AVAILABLE, MISSING, nginx as nginx_serving, served_folder, warnings_logged
from unfragile_ssg.config import load_project
from unfragile_ssg.site.build import BuildOptions, build_site

pytestmark = pytest.mark.skipif(not AVAILABLE, reason=MISSING)


@pytest.fixture
def nginx(basic_site: Path, tmp_path: Path):
    served = served_folder("unfragile-nginx-")
    site = served / "public"
    build_site(load_project(basic_site), BuildOptions(output=site, search=False, captions=False, cache_dir=tmp_path / "cache"))
    try:
        with nginx_serving(site, tmp_path / "nginx") as origin:
            yield urlsplit(origin).port, site
    finally:
        shutil.rmtree(served, ignore_errors=True)
    assert warnings_logged(tmp_path / "nginx") == []  # the documented block gives nginx nothing to warn about


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
