"""Benchmark of the captioning step on a full-size BLIP-base architecture with random weights.

Random weights cost exactly what the real ones do (same shapes, same operations); every
caption is forced to the same length (min = max new tokens) so that runs compare fairly.
Measures images/s one by one versus batched, greedy versus beam search, with heatmaps (and
the heatmap pass alone), peak memory, the whole step with a cold store, a fully cached
rebuild (in a fresh process: it must not import torch), and the plain transformers pipeline
on the same images.

    .venv/bin/python bench/captions_bench.py            # about 4-6 minutes on 2 CPU cores
    .venv/bin/python bench/captions_bench.py --tokens 10 --images 2   # quicker
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=4, help="how many images (the sample photographs, repeated)")
    parser.add_argument("--tokens", type=int, default=12, help="new tokens per caption (min = max)")
    parser.add_argument("--beams", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4)
    args = parser.parse_args()

    rows: list[tuple[str, str]] = []

    def report(name: str, value: str) -> None:
        rows.append((name, value))
        print(f"{name:<58} {value}", flush=True)

    # 1. the import cost that a cached rebuild must avoid
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch; from transformers import BlipForConditionalGeneration, BlipImageProcessorPil, AutoTokenizer"], check=True)
    report("cold import torch + transformers BLIP classes", f"{time.perf_counter() - t:.2f} s (fresh process)")

    import torch
    from PIL import Image

    from unfragile_ssg.captions import model as captions_model
    from unfragile_ssg.captions.model import Decoding, load_captioner, resolve_model
    from unfragile_ssg.captions.testing import blip_base_config, load_site, save_random_blip, write_site

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"load average at start {os.getloadavg()[0]:.1f}; {n_args(args)}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="captions-bench-"))
    folder = work / "blip-base-random"
    t = time.perf_counter()
    save_random_blip(folder, blip_base_config())
    size = sum(p.stat().st_size for p in folder.iterdir())
    report("build + save_pretrained random BLIP-base", f"{time.perf_counter() - t:.1f} s, {size / 1e6:.0f} MB on disk")

    names = sorted(p.name for p in SAMPLES.glob("*.jpg"))
    names = (names * ((args.images + len(names) - 1) // len(names)))[: args.images]
    images = [Image.open(SAMPLES / n).convert("RGB") for n in names]
    n = len(images)

    t = time.perf_counter()
    with peak_memory() as mem:
        captioner = load_captioner(resolve_model(str(folder), None, work), "cpu")
    params = sum(p.numel() for p in captioner.model.parameters())
    report("load through load_captioner (same path as the real model)", f"{time.perf_counter() - t:.2f} s, {params / 1e6:.1f}M parameters, peak RSS {mem['peak_mb']:.0f} MB")
    report("patch grid from the config", f"{captioner.grid[0]}x{captioner.grid[1]}")

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

    def run(label: str, decoding: Decoding, method: str, batch: int) -> None:
        explain_time["s"] = 0.0
        t0 = time.perf_counter()
        with peak_memory() as m:
            for i in range(0, n, batch):
                captioner.caption(images[i : i + batch], decoding, method)
        wall = time.perf_counter() - t0
        report(label, f"{n / wall:.3f} images/s ({wall / n:.2f} s/image; heatmap pass {explain_time['s'] / n:.2f} s/image), peak RSS {m['peak_mb']:.0f} MB")

    run("greedy, gradcam heatmaps, one by one", greedy, "gradcam", 1)
    run(f"greedy, gradcam heatmaps, batch {args.batch}", greedy, "gradcam", args.batch)
    run(f"greedy, raw-attention heatmaps, batch {args.batch}", greedy, "attention", args.batch)
    run(f"beam {args.beams}, gradcam heatmaps, one by one", beam, "gradcam", 1)
    run(f"beam {args.beams}, gradcam heatmaps, batch {args.batch}", beam, "gradcam", args.batch)

    # the plain transformers pipeline on the same images (captions only, no heatmaps)
    from transformers import pipeline

    t = time.perf_counter()
    pipe = pipeline("image-text-to-text", model=str(folder), device="cpu")
    report("pipeline('image-text-to-text') load", f"{time.perf_counter() - t:.2f} s")
    generate = {"max_new_tokens": args.tokens, "min_new_tokens": args.tokens, "do_sample": False}
    pipe(images=images[:1], text=[""], generate_kwargs=generate)  # warm-up
    for batch in (1, args.batch):
        t0 = time.perf_counter()
        with peak_memory() as m:
            for i in range(0, n, batch):
                chunk = images[i : i + batch]
                pipe(images=chunk, text=[""] * len(chunk), generate_kwargs=generate, batch_size=batch)
        wall = time.perf_counter() - t0
        report(f"pipeline greedy, no heatmaps, {'one by one' if batch == 1 else f'batch {batch}'}", f"{n / wall:.3f} images/s ({wall / n:.2f} s/image), peak RSS {m['peak_mb']:.0f} MB")
    beam_kwargs = dict(generate, num_beams=args.beams)
    t0 = time.perf_counter()
    for image in images:
        pipe(images=[image], text=[""], generate_kwargs=beam_kwargs)
    wall = time.perf_counter() - t0
    report(f"pipeline beam {args.beams}, no heatmaps, one by one", f"{n / wall:.3f} images/s ({wall / n:.2f} s/image)")
    del pipe

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
