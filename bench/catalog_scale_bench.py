"""`unfragile build` and `unfragile check` on one big synthetic catalog, as a user runs them.

    nice -n 10 .venv/bin/python bench/catalog_scale_bench.py --entries 100000 --workdir /tmp/scale

Generates the catalog (bench/synthetic.py), then runs the commands themselves in child processes:
a cold `unfragile build --no-search` (add --search for the Pagefind index), then a cold
`unfragile check` (its cache removed first, so it is measured as a pull request's first check).
For each it prints the wall time, the CPU time of the whole process tree (workers included) and
the tree's peak memory, the sum of PSS over the command and all its descendants sampled every
2 s (bench/process_tree.py). Linux only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_tree import run_measured  # noqa: E402
from synthetic import make_catalog  # noqa: E402

UNFRAGILE = Path(sys.executable).with_name("unfragile")


# Reading a process's PSS walks its page tables: at 100,000 entries (6 GB in all) a sample every
# half second took about 15% of one core from the two the build runs on; every 2 s is enough
# for a peak that builds up over minutes.
SAMPLE_SECONDS = 2.0


def run_logged(label: str, command: list[str], log: Path, min_free_gb: float) -> None:
    def disk_nearly_full() -> str | None:
        if shutil.disk_usage(log.parent).free < min_free_gb * 1e9:
            return f"stopped: less than {min_free_gb:g} GB left on the disk"
        return None

    usage = run_measured(command, log=log, sample_seconds=SAMPLE_SECONDS, stop_when=disk_nearly_full, check=False)
    tail = usage.stopped or (log.read_text("utf-8", "replace").strip().splitlines()[-1:] or [""])[0]
    print(f"{label:<34} exit {usage.exit_code}, wall {usage.wall:8.1f} s, CPU {usage.cpu:8.1f} s, "
          f"whole-tree peak PSS {usage.peak_mb:8.0f} MB; {tail}", flush=True)
    print(f"    log: {log}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=None, help="where to generate and build (default: the temporary folder)")
    parser.add_argument("--search", action="store_true", help="build the Pagefind index too")
    parser.add_argument("--check-first", action="store_true", help="run the cold check before the build")
    parser.add_argument("--min-free-gb", type=float, default=8, help="stop a command when the disk has less left")
    parser.add_argument("--keep", action="store_true", help="keep the catalog and its output afterwards")
    args = parser.parse_args()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="unfragile-scale-", dir=args.workdir))
    try:
        print(f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs", flush=True)
        start = time.perf_counter()
        config = make_catalog(folder / "site", args.entries)
        print(f"generated {args.entries} entries in {time.perf_counter() - start:.1f} s", flush=True)
        check = [str(UNFRAGILE), "check", "--config", str(config), "-v"]
        if args.check_first:
            run_logged("unfragile check (cold)", check, folder.with_name(folder.name + "-check.log"), args.min_free_gb)
            shutil.rmtree(folder / "site" / ".unfragile-cache", ignore_errors=True)
        build = [str(UNFRAGILE), "build", "--config", str(config), "--output", str(folder / "public"), "-v"]
        run_logged("unfragile build (cold)" + ("" if args.search else " --no-search"),
                     build + ([] if args.search else ["--no-search"]), folder.with_name(folder.name + "-build.log"), args.min_free_gb)
        files = sum(len(names) for _, _, names in os.walk(folder / "public"))
        size = sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(folder / "public") for name in names)
        print(f"    output: {files} files, {size / 1e9:.2f} GB", flush=True)
        shutil.rmtree(folder / "public", ignore_errors=True)
        shutil.rmtree(folder / "site" / ".unfragile-cache", ignore_errors=True)
        if not args.check_first:
            run_logged("unfragile check (cold)", check, folder.with_name(folder.name + "-check.log"), args.min_free_gb)
        print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
