"""Benchmark the build on a synthetic catalog: cold build, no-change rebuild, one-entry change
(and with --serve N, N one-entry rebuilds in one process, as ``unfragile serve`` runs them).

    .venv/bin/python bench/build_bench.py --entries 1000
    .venv/bin/python bench/build_bench.py --entries 10000

Prints wall time, pages per second and peak memory (this process and its workers) for
each build. Each build runs in a fresh child process so that peak memory is its own; "process"
is that child's whole life (Python's start, imports, the build, its exit), as a command's
wall time would be measured.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import make_catalog  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--search", action="store_true", help="include the Pagefind index in the timings")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--serve", type=int, default=0, metavar="N",
                        help="then N one-entry rebuilds in one process, as `unfragile serve` does them")
    parser.add_argument("--trusted", action="store_true",
                        help="render with 'templates: trusted' (no Jinja sandbox), to measure what the sandbox costs")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where to generate and build (default: the system's temporary folder); creating "
                             "folders costs 20-120 us each depending on where on the disk they go, so compare "
                             "figures from one place")
    args = parser.parse_args()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="unfragile-bench-", dir=args.workdir) as folder:
        root = Path(folder)
        start = time.perf_counter()
        config = make_catalog(root / "site", args.entries)
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


if __name__ == "__main__":
    main()
