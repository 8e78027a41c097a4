"""The caption store at scale, without running a model: a synthetic store of tiny records.

    .venv/bin/python bench/store_bench.py --entries 1000000 --images 100000 --workdir /tmp/store-bench

Writes ``--entries`` results (each a valid record with its checksum and one small heatmap file,
through ``CaptionStore.write``: a temporary folder renamed into its shard) and ``--images``
displayed photographs (``write_image``), then measures what a build and ``--prune`` do with it:
looking up ``--lookups`` keys at random (the read a build does per sample: the record, its
checksum, its files' hashes), reading as many photographs' records, the largest folder, and a
prune that keeps all but 1% (the listing of every shard and the removals). Then it writes
``--legacy`` entries in the layout before shards, and times reading them there and migrating
them. Prints each figure and the load average.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from PIL import Image  # noqa: E402

from unfragile_ssg.captions.store import STORE_FORMAT, CaptionStore, canonical_json, make_key, record_checksum, sha256  # noqa: E402

DECODING = {"method": "greedy", "max_new_tokens": 30, "min_new_tokens": 1, "prompt": None}


def key_of(i: int) -> tuple[str, str]:
    image_sha = sha256(f"image {i}".encode())
    return image_sha, make_key(image_sha, "local:sha256:bench", DECODING, "gradcam-v1", "r1:viridis")


def record_of(i: int, image_sha: str) -> dict:
    """A result as the store holds one (format 2): one word with its map, the caption's grid and
    the word's in ``maps.bin``, their tiles in ``sheet.webp`` (the files: ``result_files``)."""
    return {"caption": f"a synthetic caption number {i}", "words": [{"text": "a", "map": 1}],
            "heatmap": {"algorithm": "gradcam", "grid": [2, 2]},
            "maps": {"file": "maps.bin", "count": 2}, "sheet": {"file": "sheet.webp", "columns": 2, "width": 2, "height": 1},
            "image": {"sha256": image_sha, "width": 1, "height": 1},
            "model": {"identity": "local:sha256:bench", "display": "bench"}}


def result_files(sheet: bytes) -> dict[str, bytes]:
    return {"maps.bin": bytes(range(8)), "sheet.webp": sheet}


def all_found(read, keys) -> str:
    """Reads every key; a key that does not read back stops the bench, which would otherwise
    time the failure path (records the store no longer accepts) and call it a lookup."""
    hits = sum(read(key) is not None for key in keys)
    if hits != len(keys):
        raise SystemExit(f"only {hits:,} of {len(keys):,} stored results read back: record_of no longer makes a record the store accepts")
    return f"{hits:,} found"


def tiny_webp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (120, 30, 200)).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()


def timed(label: str, count: int, unit: str, run) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    result = run()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    amount = f" for {count:,} {unit}{'s' if count != 1 else ''}, {seconds / count * 1e6:.0f} us each" if count else ""
    extra = f" ({result})" if result is not None else ""
    # CPU time (user + system, this process) as well: on a shared machine the wall time is mostly waiting
    print(f"{label:<46} {seconds:9.2f} s (CPU {cpu:.2f} s){amount}{extra}  [load {os.getloadavg()[0]:.1f}]", flush=True)
    return seconds


def largest_folder(root: Path) -> str:
    """The most entries any folder of the layout holds: the store's root, its shards, ``images/``
    and its shards (a result's own folder holds its few files and is not listed)."""
    def listed(folder: Path) -> list[os.DirEntry]:
        with os.scandir(folder) as entries:
            return list(entries)

    folders = [root, root / "images"]
    folders += [Path(e.path) for top in (root, root / "images") for e in listed(top) if e.is_dir() and e.name != "images"]
    counts = [(len(listed(folder)), folder) for folder in folders if folder.is_dir()]
    biggest, where = max(counts, key=lambda c: c[0])
    return f"{biggest:,} entries in {where.relative_to(root).as_posix() or '.'}/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=None, help="displayed photographs (default: as many as entries)")
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument("--legacy", type=int, default=10_000, help="entries written in the layout before shards, then migrated")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    images = args.entries if args.images is None else args.images
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="store-bench-", dir=args.workdir)) / "captions"
    print(f"store at {root}; load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs", flush=True)
    try:
        store = CaptionStore(root)
        overlay = tiny_webp()
        keys = [key_of(i) for i in range(args.entries)]

        def write_results():
            started = time.perf_counter()
            for i, (image_sha, key) in enumerate(keys):
                store.write(key, record_of(i, image_sha), result_files(overlay))
                if i and i % 100_000 == 0:
                    print(f"    {i:,} results written in {time.perf_counter() - started:.0f} s", flush=True)

        def write_images():
            for image_sha, _ in keys[:images]:
                store.write_image(image_sha, overlay)

        timed("write results (CaptionStore.write)", args.entries, "result", write_results)
        timed("write displayed photographs (write_image)", images, "photograph", write_images)
        timed("largest folder", 0, "", lambda: largest_folder(root))

        rng = random.Random(0)
        picked = rng.sample(range(len(keys)), min(args.lookups, len(keys)))
        sample = [keys[i] for i in picked]
        fresh = CaptionStore(root)
        timed("look up keys at random, fresh store object", len(sample), "lookup",
              lambda: all_found(fresh.read, [k for _, k in sample]))
        shown = [keys[i][0] for i in picked if i < images]
        timed("read photograph records at random", len(shown), "lookup",
              lambda: all_found(fresh.read_image, shown))
        missing = [key_of(args.entries + i)[1] for i in range(len(sample))]
        timed("look up absent keys (misses)", len(missing), "lookup", lambda: f"{sum(fresh.read(k) is None for k in missing):,} absent")

        drop = set(rng.sample(range(args.entries), args.entries // 100))
        keep_keys = {k for i, (_, k) in enumerate(keys) if i not in drop}
        keep_images = {s for i, (s, _) in enumerate(keys[:images]) if i not in drop}
        timed("prune, keeping all but 1%", args.entries, "stored result", lambda: f"{store.prune(keep_keys, keep_images):,} removed")
        timed("prune again, nothing to remove", args.entries, "stored result", lambda: f"{store.prune(keep_keys, keep_images):,} removed")

        if args.legacy:
            legacy = [key_of(10 * args.entries + i) for i in range(args.legacy)]
            for i, (image_sha, key) in enumerate(legacy):  # as the version before shards wrote them
                folder = root / key
                folder.mkdir()
                files = result_files(overlay)
                for name, data in files.items():
                    (folder / name).write_bytes(data)
                record = dict(record_of(i, image_sha), format=STORE_FORMAT, key=key, files={n: sha256(d) for n, d in sorted(files.items())})
                record["checksum"] = record_checksum(record)
                (folder / "result.json").write_text(canonical_json(record), "utf-8")
            old = CaptionStore(root)
            timed("read entries of the layout before shards", len(legacy), "lookup",
                  lambda: all_found(old.read, [k for _, k in legacy]))
            timed("migrate them into shards", len(legacy), "result", lambda: f"{old.migrate():,} moved")
            migrated = CaptionStore(root)
            timed("read them again, migrated", len(legacy), "lookup",
                  lambda: all_found(migrated.read, [k for _, k in legacy]))
        print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
