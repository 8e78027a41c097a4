"""`unfragile evidence pull` over a synthetic catalog against the local stand-in server.

    .venv/bin/python bench/evidence_bench.py --entries 1000

Generates the catalog (bench/synthetic.py), points every model at a hub repository and a GitHub
repository and every prompt collection at a GitHub repository, serves their facts from
127.0.0.1, then runs `unfragile evidence pull` twice as a user would (a fresh process each
time) and prints the wall time, the requests made and how many the server answered with 304.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import make_catalog  # noqa: E402

from unfragile_ssg.evidence.standin import StandIn, github_release, github_repo_body, hub_model  # noqa: E402


def point_at_sources(root: Path, server: StandIn) -> None:
    """Give every synthetic entry the links a real one has, and the stand-in their facts."""
    for path in sorted((root / "content").rglob("*.md")):
        slug = path.stem
        model = path.parent.name == "models"
        seed = int(hashlib.sha256(slug.encode()).hexdigest()[:8], 16)
        links = f"links:\n  homepage: https://example.org/{slug}\n  source: https://github.com/bench/{slug}\n"
        if model:
            links += f"  model_card: https://huggingface.co/bench/{slug}\n"
            server.models[f"bench/{slug}"] = hub_model(f"bench/{slug}", downloads=seed % 5_000_000, likes=seed % 5000,
                                                       parameters=10_000_000 + seed % 1_000_000_000)
        server.repos[f"bench/{slug}"] = github_repo_body(f"bench/{slug}", seed, stars=seed % 50_000, forks=seed % 5000,
                                                         open_issues=seed % 500)
        server.contributors[f"bench/{slug}"] = 1 + seed % 700
        server.releases[f"bench/{slug}"] = [github_release(f"bench/{slug}", "v1.0", "2025-05-06T07:08:09Z")]
        text = path.read_text("utf-8")
        text = re.sub(r"links:\n  homepage: [^\n]*\n", lambda _: links, text, count=1)
        text = text.replace(f"https://hub.example/{slug}", f"https://huggingface.co/bench/{slug}")
        text = text.replace(f"https://git.example/{slug}", f"https://github.com/bench/{slug}")
        path.write_text(text, "utf-8")


def run_pull(root: Path, server: StandIn, jobs: int) -> tuple[float, int, int, str]:
    server.clear_log()
    env = dict(os.environ, HF_ENDPOINT=server.url, GITHUB_API_URL=server.url)
    env.pop("GITHUB_TOKEN", None)
    env.pop("HF_TOKEN", None)
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "unfragile"), "evidence", "pull", "--jobs", str(jobs)],
                          cwd=root, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"evidence pull failed ({done.returncode}):\n{done.stderr[-3000:]}")
    log = list(server.log)
    return seconds, len(log), sum(1 for r in log if r.status == 304), done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--workdir", type=Path, help="where to generate the catalog (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary, StandIn() as server:
        root = (args.workdir or Path(temporary)) / "catalog"
        make_catalog(root, args.entries)
        point_at_sources(root, server)
        print(f"{args.entries} entries, {len(server.models)} hub repositories, {len(server.repos)} GitHub repositories; "
              f"--jobs {args.jobs}; load average {os.getloadavg()[0]:.2f}")
        for label in ("first run", "second run (nothing changed)"):
            seconds, requests, not_modified, summary = run_pull(root, server, args.jobs)
            print(f"{label:<30} {seconds:7.2f} s wall  {requests:6d} requests  {not_modified:6d} answered 304")
            print(f"{'':<30} {summary}")


if __name__ == "__main__":
    main()
