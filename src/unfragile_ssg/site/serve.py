"""``unfragile serve``: build, serve the output on localhost, rebuild when inputs change."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import click

from ..config import Project, load_project
from ..errors import SiteError
from .build import BuildMemory, BuildOptions, build_site


def _rebuild(project: Project, output: Path, memory: BuildMemory, search: bool) -> None:
    try:
        project = load_project(project.config_path)  # settings may have changed too
        result = build_site(project, BuildOptions(output=output, captions=False, search=search, memory=memory))
        click.echo(f"Rebuilt: {result.stats.rendered} pages rendered, {result.stats.reused} unchanged, {result.seconds:.2f} s")
    except SiteError as error:
        # the previous site keeps being served; the editor sees what to fix
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo("Build failed; still serving the previous site.", err=True)


def serve_site(project: Project, *, host: str, port: int, output: Path | None, watch: bool, search: bool = True) -> None:
    output = (output or project.default_output()).absolute()
    memory = BuildMemory()
    _rebuild(project, output, memory, search)
    base_path = project.settings.base_path

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            # serve the site under its base path, as a host would
            if path.startswith(base_path):
                path = "/" + path[len(base_path):]
            return str(Path(super().translate_path(path)))

        def log_message(self, format: str, *args) -> None:  # quiet: one line per rebuild is enough
            pass

    handler = functools.partial(Handler, directory=str(output))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    changes = _watch(project) if watch else None
    click.echo(f"Serving {output} at http://{host}:{server.server_address[1]}{base_path} (Ctrl+C to stop)")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        if changes is None:
            thread.join()
        for changed in changes or ():
            if changed:
                _rebuild(project, output, memory, search)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()


def _watch(project: Project):
    """A stream of sets of changed paths; already watching when this returns, so no
    change made after the "Serving" line is missed. Empty sets are heartbeats."""
    from watchfiles import watch

    folders = [p for p in (project.content_dir, project.layouts_dir, project.assets_dir) if p.exists()]
    stream = watch(*folders, project.config_path, yield_on_timeout=True, rust_timeout=500)
    next(stream)  # returns once the watcher runs (an empty set after the first timeout)
    return stream
