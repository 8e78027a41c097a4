"""`unfragile serve` builds, serves the site under its base path as a static host would,
rebuilds on change, and never answers 404 for a page that exists while it rebuilds."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import SITES, tree
from tests.serving import ServeProcess
from unfragile_ssg.config import load_project
from unfragile_ssg.site import write
from unfragile_ssg.site.build import BuildOptions, build_site
from unfragile_ssg.site.livereload import SCRIPT_URL
from unfragile_ssg.site.serve import SiteServer


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.parametrize("search", [True, False])
def test_serve_rebuilds_when_content_changes(basic_site: Path, tmp_path: Path, search: bool) -> None:
    text = basic_site.read_text("utf-8").replace("https://fixture.example/", "https://fixture.example/docs/")
    basic_site.write_text(text, "utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "unfragile_ssg.cli", "serve", "--config", str(basic_site), "--port", "0", "-o", str(tmp_path / "out")]
        + ([] if search else ["--no-search"]),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        line = next(line for line in process.stdout if "Serving" in line)
        base = re.search(r"at (http://\S+/docs/)", line).group(1)
        page = base + "models/gamma-writer/"
        assert "Gamma writes." in urllib.request.urlopen(page, timeout=10).read().decode()
        entry = basic_site.parent / "content/models/gamma-writer.md"
        entry.write_text(entry.read_text("utf-8").replace("Gamma writes.", "Gamma now rhymes."), "utf-8")
        wait_for(lambda: "Gamma now rhymes." in urllib.request.urlopen(page, timeout=10).read().decode())
        assert (tmp_path / "out" / "pagefind" / "pagefind.js").is_file() == search
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- the server: what it answers, as a static host would -------------------------------------

BUILT = SITES / "basic" / "expected"  # a built site, as committed


@pytest.fixture
def server():
    """A SiteServer on a free port, serving nothing yet."""
    started = SiteServer(("127.0.0.1", 0))
    thread = threading.Thread(target=started.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield started
    started.shutdown()
    started.server_close()


def get(server: SiteServer, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """The raw request line ``METHOD path``: no client-side normalisation or quoting."""
    with socket.create_connection(server.server_address[:2], timeout=10) as connection:
        connection.sendall(f"{method} {path} HTTP/1.0\r\n\r\n".encode("latin-1"))
        response = http.client.HTTPResponse(connection, method=method)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def with_tag(server: SiteServer, html: bytes) -> bytes:
    tag = (f'<script src="{SCRIPT_URL}" data-build="{server.channel.state.build}" '
           f'data-events="/__unfragile/events"></script>').encode()
    at = html.rindex(b"</body>")
    return html[:at] + tag + html[at:]


def test_pages_are_served_with_the_script_and_other_files_as_built(server: SiteServer) -> None:
    server.publish(BUILT, "/")
    status, headers, body = get(server, "/models/gamma-writer/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert body == with_tag(server, (BUILT / "models/gamma-writer/index.html").read_bytes())
    status, headers, body = get(server, "/assets/favicon.svg")
    assert (status, body) == (200, (BUILT / "assets/favicon.svg").read_bytes())
    assert headers["content-type"] == "image/svg+xml; charset=utf-8"
    status, headers, body = get(server, "/models/gamma-writer/", "HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    status, headers, _ = get(server, "/models/gamma-writer?x=1")
    assert (status, headers["location"]) == (301, "/models/gamma-writer/?x=1")


def test_a_folder_is_redirected_as_it_was_asked_for(server: SiteServer, tmp_path: Path) -> None:
    (tmp_path / "ü").mkdir()
    (tmp_path / "ü" / "index.html").write_text("<body>u</body>", "utf-8")
    server.publish(tmp_path, "/")
    status, headers, _ = get(server, "/%C3%BC")
    assert (status, headers["location"]) == (301, "/%C3%BC/")
    assert get(server, "/%C3%BC/")[0] == 200


@pytest.mark.parametrize("path", ["/nope", "/models/nope/", "/assets/", "/assets", "/models/gamma-writer/index.html/x",
                                  "/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "///etc/passwd",
                                  "/%2Fetc/passwd", "/" + "a" * 5000, "/%C3%BC/"])
def test_missing_paths_and_folders_without_a_page_get_the_404_page(server: SiteServer, path: str) -> None:
    server.publish(BUILT, "/")
    status, _, body = get(server, path)
    assert status == 404
    assert body == with_tag(server, (BUILT / "404.html").read_bytes())


@pytest.mark.parametrize("path", ["/%00", "/models/%00/", "/\x00", "/%ff%fe", "*", "http:", "/a b"])
def test_a_nul_or_malformed_path_is_a_bad_request(server: SiteServer, path: str, capfd) -> None:
    server.publish(BUILT, "/")
    status, _, _ = get(server, path)
    assert status == 400
    assert get(server, "/")[0] == 200  # and the server goes on
    assert "Traceback" not in capfd.readouterr().err


def test_the_site_is_served_under_its_base_path(server: SiteServer) -> None:
    server.publish(BUILT, "/sub/path/")
    assert get(server, "/sub/path/models/gamma-writer/")[0] == 200
    assert get(server, "/models/gamma-writer/")[0] == 404
    status, headers, _ = get(server, "/")
    assert (status, headers["location"]) == (302, "/sub/path/")
    assert get(server, "/sub/path")[2] == b"" and get(server, "/sub/path")[1]["location"] == "/sub/path/"


def test_before_any_build_a_page_says_so_and_waits_for_one(server: SiteServer) -> None:
    status, _, body = get(server, "/")
    assert status == 503 and b"No build to show yet" in body and SCRIPT_URL.encode() in body


def test_two_hundred_requests_at_once_are_all_answered(server: SiteServer) -> None:
    server.publish(BUILT, "/")
    with ThreadPoolExecutor(200) as pool:
        statuses = list(pool.map(lambda _: get(server, "/models/gamma-writer/")[0], range(200)))
    assert statuses == [200] * 200


def test_the_event_stream_tells_pages_of_new_builds_and_of_failures(server: SiteServer) -> None:
    server.publish(BUILT, "/")
    first = server.channel.state.build
    with socket.create_connection(server.server_address[:2], timeout=10) as connection:
        connection.sendall(b"GET /__unfragile/events HTTP/1.0\r\n\r\n")
        stream = connection.makefile("rb")

        def next_event() -> dict:
            for line in stream:
                if line.startswith(b"data: "):
                    return json.loads(line[6:])
            raise AssertionError("the stream ended")

        assert next_event() == {"build": first, "problems": []}
        server.channel.failed(["content/models/x.md:3:1: unknown field '<b>'"])
        assert next_event() == {"build": first, "problems": ["content/models/x.md:3:1: unknown field '<b>'"]}
        server.publish(BUILT, "/")
        event = next_event()
        assert event["build"] != first and event["problems"] == []


def test_no_404_while_a_rebuild_swaps_the_output(basic_site: Path, tmp_path: Path, server: SiteServer, monkeypatch) -> None:
    """At the moment the rebuild has moved the old output away and not yet moved the new one
    in, a page that exists is still answered, from the build being replaced."""
    output = tmp_path / "out"
    project = load_project(basic_site)
    build_site(project, BuildOptions(output=output, captions=False, search=False, jobs=1))
    server.publish(output, "/")
    during_swap = []
    replace = os.replace

    def replace_and_ask(source, target) -> None:
        replace(source, target)
        if Path(source) == output:  # the output is gone until the next os.replace
            status, _, body = get(server, "/models/gamma-writer/")
            during_swap.append((status, b"Gamma writes." in body))

    monkeypatch.setattr(write.os, "replace", replace_and_ask)
    entry = basic_site.parent / "content/models/gamma-writer.md"
    for text in ("Gamma rhymes.", "Gamma sings."):
        entry.write_text(entry.read_text("utf-8").replace("Gamma writes.", text), "utf-8")
        build_site(project, BuildOptions(output=output, captions=False, search=False, jobs=1))
        server.publish(output, "/")
        assert text.encode() in get(server, "/models/gamma-writer/")[2]
        entry.write_text(entry.read_text("utf-8").replace(text, "Gamma writes."), "utf-8")
    assert during_swap == [(200, True), (200, False)]  # the second swap replaces "Gamma rhymes."


def test_serve_polled_during_rebuilds_never_answers_404(basic_site: Path, tmp_path: Path) -> None:
    answers: list[int] = []
    stop = threading.Event()
    with ServeProcess(basic_site, "--no-search", "-o", str(tmp_path / "out")) as serve:
        pages = [serve.url + p for p in ("", "models/gamma-writer/", "compare/", "assets/favicon.svg")]

        def poll() -> None:
            while not stop.is_set():
                for page in pages:
                    try:
                        answers.append(urllib.request.urlopen(page, timeout=10).status)
                    except urllib.error.HTTPError as error:
                        answers.append(error.code)

        pollers = [threading.Thread(target=poll) for _ in range(2)]
        for thread in pollers:
            thread.start()
        entry = basic_site.parent / "content/models/gamma-writer.md"
        try:
            for round in range(5):
                entry.write_text(entry.read_text("utf-8").replace("Gamma", f"Gamma{round}", 1), "utf-8")
                serve.wait_for("Rebuilt:")
        finally:
            stop.set()
            for thread in pollers:
                thread.join()
    assert len(answers) > 20
    assert set(answers) == {200}


def test_serve_writes_what_build_writes(basic_site: Path, tmp_path: Path) -> None:
    with ServeProcess(basic_site, "--no-search", "-o", str(tmp_path / "served")):
        pass
    built = subprocess.run([sys.executable, "-m", "unfragile_ssg.cli", "build", "--config", str(basic_site), "--no-search",
                            "-o", str(tmp_path / "built")], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert tree(tmp_path / "served") == tree(tmp_path / "built")  # no script in the files on disk


def test_a_port_in_use_is_one_line_saying_what_to_do(basic_site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "unfragile_ssg.cli", "serve", "--config", str(basic_site),
                                 "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == (f"Error: port {port} on 127.0.0.1 is already in use: choose another with --port, "
                             "or --port 0 for any free port\n")


def test_build_while_serve_runs_is_refused_until_serve_ends(basic_site: Path) -> None:
    build = [sys.executable, "-m", "unfragile_ssg.cli", "build", "--config", str(basic_site), "--no-search"]
    with ServeProcess(basic_site, "--no-search", "--bind", "127.0.0.1") as serve:
        refused = subprocess.run(build, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 1
        assert (f"another build of {basic_site.parent} into {basic_site.parent / 'public'} is running: "
                f"PID {serve.process.pid} (unfragile serve); wait for it or stop it") in refused.stderr
        assert "Traceback" not in refused.stderr
        serve.process.kill()  # kill -9: the lock goes with the process
        serve.process.wait()
    built = subprocess.run(build, capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr


def test_base_url_given_to_serve_holds_through_rebuilds(basic_site: Path, tmp_path: Path) -> None:
    with ServeProcess(basic_site, "--no-search", "--base-url", "http://localhost:8000/preview/",
                      "-o", str(tmp_path / "out")) as serve:
        assert serve.url.endswith("/preview/")
        page = serve.url + "models/gamma-writer/"
        entry = basic_site.parent / "content/models/gamma-writer.md"
        entry.write_text(entry.read_text("utf-8").replace("Gamma writes.", "Gamma now rhymes."), "utf-8")
        serve.wait_for("Rebuilt:")
        assert "Gamma now rhymes." in urllib.request.urlopen(page, timeout=10).read().decode()
        with pytest.raises(urllib.error.HTTPError) as outside:
            urllib.request.urlopen(serve.url.replace("/preview/", "/models/gamma-writer/"), timeout=10)
        assert outside.value.code == 404


def test_open_opens_the_served_url_in_the_browser(basic_site: Path, tmp_path: Path) -> None:
    opened = tmp_path / "opened"
    opener = tmp_path / "browser"
    opener.write_text(f'#!/bin/sh\necho "$1" > {opened}\n', "utf-8")
    opener.chmod(0o755)
    environment = os.environ | {"BROWSER": str(opener)}  # webbrowser runs $BROWSER with the URL
    with ServeProcess(basic_site, "--no-search", "--open", "--host", "127.0.0.1", env=environment) as serve:
        wait_for(lambda: opened.exists() and opened.read_text().strip())
        assert opened.read_text().strip() == serve.url
