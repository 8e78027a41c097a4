"""Benchmark ``unfragile check`` on a synthetic catalog: a cold check (no cache), a check with
no change, and a check after a one-entry edit (what a pull request's check costs with the cache
restored), each in a fresh process.

    .venv/bin/python bench/check_bench.py --entries 1000
    .venv/bin/python bench/check_bench.py --entries 10000 -v

Prints wall time, the pages rendered (a check renders, in memory, only the pages the link
cache does not know) and peak memory (this process and its largest worker) for each check;
"process" is the child's whole life (Python's start, imports, the check, its exit).
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
from build_bench import show  # noqa: E402
from synthetic import make_catalog  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from unfragile_ssg.config import load_project
from unfragile_ssg.site.build import BuildOptions, check_site
project = load_project(sys.argv[1])
start = time.perf_counter()
result = check_site(project, BuildOptions())
wall = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "pages": result.pages, "rendered": result.stats.rendered,
                  "reused": result.stats.reused, "warnings": len(result.warnings), "peak_mb_main": own / 1024,
                  "peak_mb_worker": kids / 1024, "timings": result.timings}))
"""


def run_check(config: Path) -> dict:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(config)], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"check failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1]) | {"process": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("-v", "--verbose", action="store_true", help="the time of each stage")
    parser.add_argument("--cold-only", action="store_true", help="only the check without a cache (for big catalogs)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to generate (default: the temporary folder)")
    args = parser.parse_args()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="unfragile-bench-", dir=args.workdir) as folder:
        root = Path(folder)
        start = time.perf_counter()
        config = make_catalog(root / "site", args.entries)
        print(f"generated {args.entries} entries in {time.perf_counter() - start:.1f} s", flush=True)
        show("cold check", run_check(config), args.verbose)
        if args.cold_only:
            return
        show("check, no change", run_check(config), args.verbose)
        changed = sorted((root / "site" / "content" / "models").iterdir())[0]
        changed.write_text(changed.read_text("utf-8").replace("## Overview", "## Overview\n\nOne more sentence."), "utf-8")
        show("check, one entry", run_check(config), args.verbose)
        text = changed.read_text("utf-8")
        changed.write_text(text.replace("license: MIT", "license: Apache-2.0", 1), "utf-8")
        show("check, one licence", run_check(config), args.verbose)


if __name__ == "__main__":
    main()
