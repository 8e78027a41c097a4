"""``unfragile serve``: build, serve the output locally, rebuild when inputs change, and
reload the open pages (or show them what failed)."""

from __future__ import annotations

import errno
import mimetypes
import os
import posixpath
import socket
import stat
import sys
import threading
import traceback
import webbrowser
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO, Callable, Iterator
from urllib.parse import quote, unquote

import click

from ..config import Project
from ..errors import SiteError
from .build import BuildMemory, BuildOptions, build_site
from .livereload import EVENTS_URL, SCRIPT, SCRIPT_URL, LiveChannel, with_script
from .lock import output_lock
from .write import MARKER

NOT_BUILT = (b"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Building</title>"
             b"<link rel=\"icon\" href=\"data:,\"></head><body><p>No build to show yet: the first build is running "
             b"or failed. This page reloads when one succeeds.</p></body></html>")


class ServedTrees:
    """The built folder being served, held open by a descriptor: each request reads the
    tree it started with, so a rebuild moving folders around never answers 404 for a page
    that exists. A tree that has been replaced is closed when its last request ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: int | None = None
        self._users: dict[int, int] = {}

    def publish(self, folder: Path) -> None:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        with self._lock:
            previous, self._current = self._current, descriptor
            self._users[descriptor] = 0
            if previous is not None:
                self._release(previous)

    @property
    def serving(self) -> bool:
        return self._current is not None

    @contextmanager
    def current(self) -> Iterator[int | None]:
        with self._lock:
            descriptor = self._current
            if descriptor is not None:
                self._users[descriptor] += 1
        try:
            yield descriptor
        finally:
            if descriptor is not None:
                with self._lock:
                    self._users[descriptor] -= 1
                    self._release(descriptor)

    def _release(self, descriptor: int) -> None:
        if descriptor != self._current and self._users[descriptor] == 0:
            del self._users[descriptor]
            os.close(descriptor)

    def close(self) -> None:
        with self._lock:
            descriptor, self._current = self._current, None
            if descriptor is not None:
                self._release(descriptor)


class SiteServer(ThreadingHTTPServer):
    request_queue_size = 128  # the standard library's 5 leaves a burst of requests unanswered
    daemon_threads = True

    def __init__(self, address: tuple[str, int], base_path: str = "/"):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.trees = ServedTrees()
        self.channel = LiveChannel()
        self.base_path = base_path
        super().__init__(address, SiteRequestHandler)

    def publish(self, folder: Path, base_path: str) -> None:
        """Serve this build from now on, and reload the pages open in browsers."""
        self.trees.publish(folder)
        self.base_path = base_path
        self.channel.built()  # after the tree: a page made from the old tree always reloads

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a tab closed, a reload cancelled a request
            super().handle_error(request, client_address)

    def server_close(self) -> None:
        self.channel.close()
        super().server_close()
        self.trees.close()


class SiteRequestHandler(BaseHTTPRequestHandler):
    """GET and HEAD of the built files under the base path, as a static host answers them:
    ``x/`` is ``x/index.html``, ``x`` redirects to ``x/``, anything missing is the site's
    404 page; no folder listings. HTML gets the live-reload script."""

    server: SiteServer
    server_version = "unfragile-serve"

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args) -> None:  # quiet: one line per rebuild is enough
        pass

    def _answer(self, body: bool) -> None:
        path = self._path()
        if path is None:
            self.send_error(400, "Malformed request path")
            return
        if path == EVENTS_URL:
            self._stream_events()
            return
        if path == SCRIPT_URL:
            self._send(200, "text/javascript; charset=utf-8", SCRIPT, body)
            return
        base = self.server.base_path
        if not path.startswith(base):
            if path == "/" or path + "/" == base:
                self._redirect(302, quote(base))
            else:
                with self.server.trees.current() as root:
                    self._not_found(root, body)
            return
        with self.server.trees.current() as root:
            if root is None:
                self._send(503, "text/html; charset=utf-8", NOT_BUILT, body)
            else:
                self._send_file(root, path, path[len(base):], body)

    def _path(self) -> str | None:
        """The request's path, decoded; None when it is not one a browser would send."""
        raw = self.path.split("?", 1)[0].split("#", 1)[0]
        try:
            path = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            return None
        if not path.startswith("/") or "\0" in path:
            return None
        return path

    def _send_file(self, root: int, path: str, relative: str, body: bool) -> None:
        # relative to the tree, always: ".." stops at its root, and no leading "/" (with which
        # the name would be absolute and the tree ignored)
        name = posixpath.normpath("/" + relative).lstrip("/")
        if not name or relative.endswith("/"):
            name = posixpath.join(name, "index.html")
        opened = _open(root, name)
        if opened is None:
            self._not_found(root, body)
        elif opened is FOLDER:
            if _is_file(root, posixpath.join(name, "index.html")):
                as_sent = self.path.split("?", 1)
                self._redirect(301, as_sent[0] + "/" + ("?" + as_sent[1] if len(as_sent) > 1 else ""))
            else:
                self._not_found(root, body)
        else:
            with opened as handle:
                self._send(200, _content_type(name), handle.read(), body)

    def _not_found(self, root: int | None, body: bool) -> None:
        page = _open(root, "404.html") if root is not None else None
        if page is None or page is FOLDER:
            self.send_error(404)
            return
        with page as handle:
            self._send(404, "text/html; charset=utf-8", handle.read(), body)

    def _send(self, status: int, content_type: str, data: bytes, body: bool) -> None:
        if content_type.startswith("text/html"):
            data = with_script(data, self.server.channel.state)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")  # always the latest build
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _redirect(self, status: int, location: str) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _stream_events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(b"retry: 1000\n\n")  # reconnect within a second after serve restarts
        seen = None
        while (state := self.server.channel.next_state(seen)) is not None:
            self.wfile.write(state.event() if state is not seen else b": still here\n\n")
            self.wfile.flush()
            seen = state


FOLDER = object()


def _open(root: int, name: str) -> BinaryIO | object | None:
    """The file ``name`` of the tree ``root``, open for reading; FOLDER for a folder; None
    when there is neither."""
    try:
        descriptor = os.open(name, os.O_RDONLY, dir_fd=root)
    except (OSError, ValueError):  # missing, a file used as a folder, a name too long
        return None
    if stat.S_ISDIR(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        return FOLDER
    return os.fdopen(descriptor, "rb")


def _is_file(root: int, name: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(name, dir_fd=root).st_mode)
    except (OSError, ValueError):
        return False


def _content_type(name: str) -> str:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    textual = kind.startswith("text/") or kind in ("application/javascript", "application/json", "image/svg+xml")
    return kind + ("; charset=utf-8" if textual else "")


def listen(bind: str, port: int, base_path: str = "/") -> SiteServer:
    """A server bound to ``bind:port``, or a one-line error saying what to do instead."""
    try:
        return SiteServer((bind, port), base_path)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            message = f"port {port} on {bind} is already in use: choose another with --port, or --port 0 for any free port"
        elif error.errno == errno.EACCES:
            message = f"not allowed to listen on port {port}: ports below 1024 need privileges; choose another with --port, e.g. --port 8000"
        else:
            reason = error.strerror or str(error)
            message = f"cannot listen on {bind} port {port}: {reason}; --bind takes an address of this machine, e.g. 127.0.0.1"
        raise click.ClickException(message) from None


def serve_site(load: Callable[[], Project], *, bind: str, port: int, output: Path | None, watch: bool,
               search: bool = True, open_browser: bool = False) -> None:
    """``load`` reads the settings (again before each rebuild: they may have changed)."""
    project = load()
    output = (output or project.default_output()).absolute()
    with output_lock(output, project.root, "unfragile serve"):  # held while serving: its builds are the only ones
        server = listen(bind, port, project.settings.base_path)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            if (output / MARKER).is_file():
                server.publish(output, project.settings.base_path)  # the last build, until a new one is done
            changes = _watch(project) if watch else None  # from before the build, so no change is missed
            memory = BuildMemory()
            _rebuild(load, output, memory, search, server, first=True)
            host = f"[{bind}]" if ":" in bind else bind
            url = f"http://{host}:{server.server_address[1]}{server.base_path}"
            click.echo(f"Serving {output} at {url} (Ctrl+C to stop)")
            if open_browser:
                webbrowser.open(url)
            if changes is None:
                thread.join()
            for changed in changes or ():
                if changed:
                    _rebuild(load, output, memory, search, server)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
            server.server_close()


def _rebuild(load: Callable[[], Project], output: Path, memory: BuildMemory, search: bool, server: SiteServer,
             first: bool = False) -> None:
    try:
        project = load()
        result = build_site(project, BuildOptions(output=output, captions=False, search=search, memory=memory))
    except SiteError as error:
        problems = [str(problem) for problem in error.problems]
    except Exception as error:  # a bug, not the content: said in the page too, and serve goes on
        traceback.print_exc()
        problems = [f"internal error: {type(error).__name__}: {error} (the traceback is in the terminal)"]
    else:
        server.publish(output, project.settings.base_path)
        click.echo(f"{'Built' if first else 'Rebuilt'}: {result.stats.rendered} pages rendered, "
                   f"{result.stats.reused} unchanged, {result.seconds:.2f} s")
        return
    for line in problems:
        click.echo(line, err=True)
    click.echo("Build failed; still serving the previous site." if server.trees.serving
               else "Build failed; nothing to serve until a build succeeds.", err=True)
    server.channel.failed(problems)


def _watch(project: Project):
    """A stream of sets of changed paths; already watching when this returns, so no
    change made after the "Serving" line is missed. Empty sets are heartbeats."""
    from watchfiles import watch

    folders = [p for p in (project.content_dir, project.layouts_dir, project.assets_dir) if p.exists()]
    stream = watch(*folders, project.config_path, yield_on_timeout=True, rust_timeout=500)
    next(stream)  # returns once the watcher runs (an empty set after the first timeout)
    return stream
