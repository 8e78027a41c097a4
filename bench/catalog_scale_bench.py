"""`unfragile build` and `unfragile check` on one big synthetic catalog, as a user runs them.

    nice -n 10 .venv/bin/python bench/catalog_scale_bench.py --entries 100000 --workdir /tmp/scale

Generates the catalog (bench/synthetic.py), then runs the commands themselves in child processes:
a cold `unfragile build --no-search` (add --search for the Pagefind index), then a cold
`unfragile check` (its cache removed first, so it is measured as a pull request's first check).
For each it prints the wall time and the peak of the whole process tree's memory: the sum of
PSS (proportional set size: shared pages counted once, split between the processes sharing
them) over the command and all its descendants, sampled from /proc/<pid>/smaps_rollup every
half second. Linux only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import make_catalog  # noqa: E402

UNFRAGILE = Path(sys.executable).with_name("unfragile")


def descendants(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def pss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_measured(label: str, command: list[str], log: Path, min_free_gb: float) -> None:
    peak = {"mb": 0.0, "processes": 0}
    stopped = []
    started = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                tree = descendants(child.pid)
                total = sum(pss_mb(pid) for pid in tree)
                if total > peak["mb"]:
                    peak.update(mb=total, processes=len(tree))
                if shutil.disk_usage(log.parent).free < min_free_gb * 1e9 and not stopped:
                    stopped.append(f"stopped: less than {min_free_gb:g} GB left on the disk")
                    for pid in reversed(tree):
                        try:
                            os.kill(pid, 9)
                        except OSError:
                            pass
                stop.wait(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = child.wait()
        stop.set()
        sampler.join()
    wall = time.perf_counter() - started
    tail = log.read_text("utf-8", "replace").strip().splitlines()[-1:] or [""]
    if stopped:
        tail = stopped
    print(f"{label:<34} exit {code}, {wall:8.1f} s, whole-tree peak PSS {peak['mb']:8.0f} MB "
          f"({peak['processes']} processes at the peak); {tail[0]}", flush=True)
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
            run_measured("unfragile check (cold)", check, folder.with_name(folder.name + "-check.log"), args.min_free_gb)
            shutil.rmtree(folder / "site" / ".unfragile-cache", ignore_errors=True)
        build = [str(UNFRAGILE), "build", "--config", str(config), "--output", str(folder / "public"), "-v"]
        run_measured("unfragile build (cold)" + ("" if args.search else " --no-search"),
                     build + ([] if args.search else ["--no-search"]), folder.with_name(folder.name + "-build.log"), args.min_free_gb)
        files = sum(len(names) for _, _, names in os.walk(folder / "public"))
        size = sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(folder / "public") for name in names)
        print(f"    output: {files} files, {size / 1e9:.2f} GB", flush=True)
        shutil.rmtree(folder / "public", ignore_errors=True)
        shutil.rmtree(folder / "site" / ".unfragile-cache", ignore_errors=True)
        if not args.check_first:
            run_measured("unfragile check (cold)", check, folder.with_name(folder.name + "-check.log"), args.min_free_gb)
        print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
