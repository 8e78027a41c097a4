"""Benchmark of the captioning step on a full-size BLIP-base architecture with random weights.

Random weights cost exactly what the real ones do (same shapes, same operations); every
caption is forced to the same length (min = max new tokens) so that runs compare fairly.
Measures images/s one by one versus batched, greedy versus beam search, with heatmaps (and
the heatmap pass alone), peak memory, the whole step with a cold store, a fully cached
rebuild (in a fresh process: it must not import torch), and the plain transformers pipeline
on the same images.

    .venv/bin/python bench/captions_bench.py            # 10-20 minutes on 2 busy CPU cores
    .venv/bin/python bench/captions_bench.py --tokens 10 --images 2   # quicker
    .venv/bin/python bench/captions_bench.py --engine ray --workers 1,2 --tiny --images 24

``--engine ray`` measures only the captioning engines instead: the whole step (the model, the
overlays, the store's writes) in this process and on Ray with each number of workers given,
on a local Ray of as many CPUs as the most workers; see ``engine_bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SAMPLES = ROOT / "content" / "media" / "samples"


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def peak_memory():
    """Yields a dict whose 'peak_mb' is the highest resident memory seen during the block."""
    result = {"peak_mb": rss_mb()}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            result["peak_mb"] = max(result["peak_mb"], rss_mb())
            stop.wait(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result["peak_mb"] = max(result["peak_mb"], rss_mb())


def n_args(args) -> str:
    return f"{args.images} images, {args.tokens} new tokens each (forced), beam width {args.beams}, batch {args.batch}"


def sample_images(count: int):
    from PIL import Image

    names = sorted(p.name for p in SAMPLES.glob("*.jpg"))
    names = (names * ((count + len(names) - 1) // len(names)))[:count]
    return names, [Image.open(SAMPLES / name).convert("RGB") for name in names]


def pipeline_child(args) -> None:
    """Runs in a separate process: transformers.pipeline only, results as JSON on stdout."""
    import torch  # noqa: F401
    from transformers import pipeline
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    _, images = sample_images(args.images)
    n = len(images)
    rows = []
    t = time.perf_counter()
    with peak_memory() as mem:
        pipe = pipeline("image-text-to-text", model=args.pipeline_only, device="cpu")
    rows.append(("pipeline('image-text-to-text', model=folder): load", f"{time.perf_counter() - t:.2f} s, peak RSS {mem['peak_mb']:.0f} MB"))
    greedy = {"max_new_tokens": args.tokens, "min_new_tokens": args.tokens, "do_sample": False}
    beam = dict(greedy, num_beams=args.beams)
    pipe(images=images[:1], text=[""], generate_kwargs=greedy)  # warm-up
    configs = [("greedy, no heatmaps, one by one", greedy, 1), (f"greedy, no heatmaps, batch {args.batch}", greedy, args.batch),
               (f"beam {args.beams}, no heatmaps, one by one", beam, 1), (f"beam {args.beams}, no heatmaps, batch {args.batch}", beam, args.batch)]
    results: dict[str, list[tuple[float, float]]] = {c[0]: [] for c in configs}
    for _ in range(args.rounds):
        for label, kwargs, batch in configs:
            t0 = time.perf_counter()
            with peak_memory() as m:
                for i in range(0, n, batch):
                    chunk = images[i : i + batch]
                    pipe(images=chunk, text=[""] * len(chunk), generate_kwargs=kwargs, batch_size=batch)
            results[label].append((time.perf_counter() - t0, m["peak_mb"]))
    for label, *_ in configs:
        runs = sorted(results[label])
        rows.append((f"pipeline: {label}", f"{n / runs[0][0]:.3f} images/s (best {runs[0][0] / n:.2f} s/image, "
                                           f"median {runs[len(runs) // 2][0] / n:.2f}), peak RSS {max(r[1] for r in runs):.0f} MB"))
    print(json.dumps(rows))


def distinct_images(count: int) -> dict[str, bytes]:
    """``count`` different JPEGs: the sample photographs, each shifted by a few pixels per copy
    (the same bytes twice would be captioned once)."""
    import io

    from PIL import Image

    names = sorted(SAMPLES.glob("*.jpg"))
    out = {}
    for i in range(count):
        with Image.open(names[i % len(names)]) as photo:
            photo = photo.convert("RGB")
            shift = i // len(names)
            photo = photo.crop((shift, shift, photo.width, photo.height))
            photo.thumbnail((512, 512))
            buffer = io.BytesIO()
            photo.save(buffer, "JPEG", quality=90)
        out[f"{i:04d}.jpg"] = buffer.getvalue()
    return out


def engine_run(site: Path, model: Path, images: dict[str, bytes], args, captions: dict) -> dict:
    """One cold captioning step on a fresh site; the time of each stored result."""
    from unfragile_ssg.captions.step import caption_entries
    from unfragile_ssg.captions.store import CaptionStore
    from unfragile_ssg.captions.testing import load_site, write_site

    names = list(images)
    groups = {f"entry-{i // 20:03d}": names[i : i + 20] for i in range(0, len(names), 20)}  # at most 20 samples an entry
    config = write_site(site, model, images, entries=groups, captions={
        "max_new_tokens": args.tokens, "min_new_tokens": args.tokens, "batch_size": args.batch, **captions})
    project, entries = load_site(config)
    stamps: list[float] = []
    write = CaptionStore.write

    def timed_write(self, *a, **k):
        out = write(self, *a, **k)
        stamps.append(time.perf_counter())
        return out

    from unfragile_ssg.captions import step

    save = step._save
    driver = {"s": 0.0}

    def timed_save(*a, **k):  # the driver's share: words, overlays, the store's write
        t0 = time.perf_counter()
        try:
            return save(*a, **k)
        finally:
            driver["s"] += time.perf_counter() - t0

    CaptionStore.write = timed_write
    step._save = timed_save
    try:
        start = time.perf_counter()
        report = caption_entries(project, entries)
        wall = time.perf_counter() - start
    finally:
        CaptionStore.write = write
        step._save = save
    root = project.caption_store
    store = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    # steady rate: from the first stored result to the last, once every worker has loaded the model
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 and stamps[-1] > stamps[0] else 0.0
    return {"wall": wall, "computed": report.computed, "errors": len(report.errors), "store": store, "steady": steady,
            "driver": driver["s"] / max(1, report.computed),
            "first": stamps[0] - start if stamps else 0.0}


def engine_bench(args) -> None:
    """In-process engine versus Ray with 1, 2... workers: the same images, a cold store each,
    images/s for the whole step, and whether the stores are byte for byte the same."""
    import ray
    import torch

    from unfragile_ssg.captions.testing import blip_base_config, save_random_blip, tiny_config

    workers = [int(w) for w in args.workers.split(",")]
    work = Path(tempfile.mkdtemp(prefix="captions-engine-bench-"))
    folder = save_random_blip(work / "model", tiny_config() if args.tiny else blip_base_config())
    images = distinct_images(args.images)
    print(f"{'tiny random BLIP' if args.tiny else 'random BLIP-base'}, {len(images)} distinct images, {args.tokens} new tokens "
          f"each (forced), gradcam heatmaps, batch {args.batch}; torch {torch.__version__} with {torch.get_num_threads()} "
          f"threads in this process, 1 per Ray worker; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    runs = [("in-process", work / "local", {})]
    runs += [(f"Ray, {n} worker{'s' if n > 1 else ''}", work / f"ray-{n}",
              {"engine": "ray", "ray": {"workers": n, "batch_size": args.batch}}) for n in workers]
    t = time.perf_counter()
    ray.init(num_cpus=max(workers), include_dashboard=False, logging_level="warning", log_to_driver=False)
    print(f"{'start a local Ray (' + str(max(workers)) + ' CPUs)':<34} {time.perf_counter() - t:6.1f} s", flush=True)
    reference = None
    try:
        for label, site, captions in runs:
            r = engine_run(site, folder, images, args, captions)
            same = "reference" if reference is None else ("identical" if r["store"] == reference else "DIFFERENT")
            reference = r["store"] if reference is None else reference
            print(f"{label:<34} {len(images) / r['wall']:7.2f} images/s ({r['wall']:.1f} s, {r['computed']} computed, "
                  f"{r['errors']} errors; first result after {r['first']:.1f} s, then {r['steady']:.2f} images/s; "
                  f"driver {r['driver']:.2f} s/image for overlays and store); "
                  f"store {same}; load average {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=4, help="how many images (the sample photographs, repeated)")
    parser.add_argument("--tokens", type=int, default=12, help="new tokens per caption (min = max)")
    parser.add_argument("--beams", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2, help="repeat each measurement, report the best (the machine is shared)")
    parser.add_argument("--pipeline-only", metavar="FOLDER", help=argparse.SUPPRESS)
    parser.add_argument("--tiny", action="store_true", help="a tiny model instead of BLIP-base: checks the script only")
    parser.add_argument("--engine", choices=["ray"], help="measure the captioning engines instead (in-process and Ray)")
    parser.add_argument("--workers", default="1,2", help="with --engine ray: the numbers of Ray workers to measure")
    args = parser.parse_args()
    if args.pipeline_only:
        return pipeline_child(args)
    if args.engine:
        return engine_bench(args)

    rows: list[tuple[str, str]] = []

    def report(name: str, value: str) -> None:
        rows.append((name, value))
        print(f"{name:<58} {value}", flush=True)

    # 1. the import cost that a cached rebuild must avoid
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch; from transformers import BlipForConditionalGeneration, BlipImageProcessorPil, AutoTokenizer"], check=True)
    report("cold import torch + transformers BLIP classes", f"{time.perf_counter() - t:.2f} s (fresh process)")

    import torch

    from unfragile_ssg.captions import model as captions_model
    from unfragile_ssg.captions.model import Decoding, load_captioner, resolve_model
    from unfragile_ssg.captions.testing import blip_base_config, load_site, save_random_blip, tiny_config, write_site

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"load average at start {os.getloadavg()[0]:.1f}; {n_args(args)}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="captions-bench-"))
    folder = work / "blip-base-random"
    t = time.perf_counter()
    save_random_blip(folder, tiny_config() if args.tiny else blip_base_config())
    size = sum(p.stat().st_size for p in folder.iterdir())
    report("build + save_pretrained random BLIP-base", f"{time.perf_counter() - t:.1f} s, {size / 1e6:.0f} MB on disk")

    names, images = sample_images(args.images)
    n = len(images)

    t = time.perf_counter()
    with peak_memory() as mem:
        captioner = load_captioner(resolve_model(str(folder), None, work), "cpu")
    params = sum(p.numel() for p in captioner.model.parameters())
    report("load through load_captioner (same path as the real model)", f"{time.perf_counter() - t:.2f} s, {params / 1e6:.1f}M parameters, peak RSS {mem['peak_mb']:.0f} MB")
    report("patch grid from the config", f"{captioner.grid[0]}x{captioner.grid[1]} (+ CLS)")

    # time the heatmap pass separately
    explain_time = {"s": 0.0}
    original_explain = captioner.explain

    def timed_explain(*a, **k):
        t0 = time.perf_counter()
        try:
            return original_explain(*a, **k)
        finally:
            explain_time["s"] += time.perf_counter() - t0

    captioner.explain = timed_explain
    greedy = Decoding("greedy", 1, 0.9, 0, args.tokens, args.tokens, None)
    beam = Decoding("beam", args.beams, 0.9, 0, args.tokens, args.tokens, None)
    captioner.caption(images[:1], greedy, "gradcam")  # warm-up

    configs = [
        ("greedy, gradcam heatmaps, one by one", greedy, "gradcam", 1),
        (f"greedy, gradcam heatmaps, batch {args.batch}", greedy, "gradcam", args.batch),
        (f"greedy, raw-attention heatmaps, batch {args.batch}", greedy, "attention", args.batch),
        (f"beam {args.beams}, gradcam heatmaps, one by one", beam, "gradcam", 1),
        (f"beam {args.beams}, gradcam heatmaps, batch {args.batch}", beam, "gradcam", args.batch),
    ]
    results: dict[str, list[tuple[float, float, float]]] = {c[0]: [] for c in configs}
    for _ in range(args.rounds):  # interleaved, so that a burst of load hits every configuration
        for label, decoding, method, batch in configs:
            explain_time["s"] = 0.0
            t0 = time.perf_counter()
            with peak_memory() as m:
                for i in range(0, n, batch):
                    captioner.caption(images[i : i + batch], decoding, method)
            results[label].append((time.perf_counter() - t0, explain_time["s"], m["peak_mb"]))
    for label, *_ in configs:
        runs = sorted(results[label])
        best, heat, _ = runs[0]
        median = runs[len(runs) // 2][0]
        peak = max(r[2] for r in runs)
        report(f"ours: {label}", f"{n / best:.3f} images/s (best {best / n:.2f} s/image, median {median / n:.2f}; "
                                 f"of which heatmap pass {heat / n:.2f} s/image), peak RSS {peak:.0f} MB")

    # the plain transformers pipeline on the same images, in its own process (clean memory figures)
    child = subprocess.run(
        [sys.executable, __file__, "--pipeline-only", str(folder), "--images", str(args.images), "--tokens", str(args.tokens),
         "--beams", str(args.beams), "--batch", str(args.batch), "--rounds", str(args.rounds)],
        check=True, capture_output=True, text=True,
    )
    for name, value in json.loads(child.stdout.strip().splitlines()[-1]):
        report(name, value)

    # the whole step (store, rendering overlays) with a cold store, then a fully cached rebuild
    from unfragile_ssg.captions.step import caption_entries

    site = work / "site"
    config = write_site(site, folder, {f"{i:02d}-{name}": (SAMPLES / name).read_bytes() for i, name in enumerate(names)},
                        captions={"max_new_tokens": args.tokens, "min_new_tokens": args.tokens, "batch_size": args.batch})
    project, entries = load_site(config)
    captions_model.load_captioner = lambda ref, device="auto": captioner  # reuse the loaded model
    t0 = time.perf_counter()
    with peak_memory() as m:
        result = caption_entries(project, entries)
    wall = time.perf_counter() - t0
    store_bytes = sum(p.stat().st_size for p in project.caption_store.rglob("*") if p.is_file())
    report(f"whole step, cold store, greedy gradcam batch {args.batch}", f"{n / wall:.3f} images/s ({wall / n:.2f} s/image incl. overlays), {result.computed} computed, peak RSS {m['peak_mb']:.0f} MB")
    report("store size for these images", f"{store_bytes / 1e3:.0f} kB ({len(result.files)} files to publish)")

    probe = (
        "import sys, time; t = time.perf_counter(); sys.path.insert(0, %r)\n"
        "from unfragile_ssg.captions.testing import load_site\n"
        "from unfragile_ssg.captions.step import caption_entries\n"
        "p, e = load_site(%r); t1 = time.perf_counter(); r = caption_entries(p, e); t2 = time.perf_counter()\n"
        "import json; print(json.dumps({'step_s': t2 - t1, 'total_s': t2 - t, 'hits': r.hits, 'misses': r.misses,"
        " 'torch': 'torch' in sys.modules, 'transformers': 'transformers' in sys.modules}))"
    ) % (str(ROOT / "src"), str(config))
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    cached = json.loads(out.strip().splitlines()[-1])
    report(
        "fully cached rebuild (fresh process)",
        f"step {cached['step_s'] * 1000:.0f} ms, process {wall:.2f} s, hits {cached['hits']}/{n}, "
        f"torch imported: {cached['torch']}, transformers imported: {cached['transformers']}",
    )
    report("load average at the end (1 min)", f"{os.getloadavg()[0]:.1f}")
    print("\nsummary")
    for name, value in rows:
        print(f"  {name}: {value}")


if __name__ == "__main__":
    main()
