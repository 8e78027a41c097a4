"""Benchmark of the captioning step on a full-size BLIP-base architecture with random weights.

Random weights cost exactly what the real ones do (same shapes, same operations); every
caption is forced to the same length (min = max new tokens) so that runs compare fairly.

Ours (captions with gradient-weighted heatmaps) against the plain transformers pipeline
(captions only) on the same images, in one process with the same thread count, the two
interleaved round after round so that a burst of load on a shared machine hits both:
greedy and beam search, one by one and in batches. Prints ours/pipeline ratios of images per
second by wall time and by CPU time (this process's, all threads), our per-stage split (vision tower, generation, heatmap gradient pass, heatmap encoding
in the whole step), caption agreement of bf16 and int8 with fp32, the whole step with a cold
store, and a fully cached rebuild (in a fresh process: it must not import torch).

    .venv/bin/python bench/captions_bench.py            # 10-20 minutes on 2 busy CPU cores
    .venv/bin/python bench/captions_bench.py --tokens 10 --images 2   # quicker
    .venv/bin/python bench/captions_bench.py --tiny --rounds 1        # checks the script only
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
STAGES = ("embed", "generate", "explain")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def peak_memory():
    """Yields a dict whose 'peak_mb' is the highest resident memory seen during the block and
    'start_mb' the memory before it: ours and the pipeline share this process (both models
    loaded), so what one run adds, peak minus start, is what tells them apart."""
    result = {"peak_mb": rss_mb()}
    result["start_mb"] = result["peak_mb"]
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


def time_stages(captioner) -> dict[str, float]:
    """Wraps the captioner's stages so that each adds its seconds to the returned dict."""
    spent = dict.fromkeys(STAGES, 0.0)
    for stage in STAGES:
        original = getattr(captioner, stage)

        def timed(*a, _original=original, _stage=stage, **k):
            t0 = time.perf_counter()
            try:
                return _original(*a, **k)
            finally:
                spent[_stage] += time.perf_counter() - t0

        setattr(captioner, stage, timed)
    return spent


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
    parser.add_argument("--tiny", action="store_true", help="a tiny model instead of BLIP-base: checks the script only")
    parser.add_argument("--engine", choices=["ray"], help="measure the captioning engines instead (in-process and Ray)")
    parser.add_argument("--workers", default="1,2", help="with --engine ray: the numbers of Ray workers to measure")
    args = parser.parse_args()
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
    report("torch threads (captions.threads default: this process's CPU affinity)", f"{torch.get_num_threads()}")
    report("patch grid from the config", f"{captioner.grid[0]}x{captioner.grid[1]} (+ CLS)")

    from transformers import pipeline
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    t = time.perf_counter()
    pipe = pipeline("image-text-to-text", model=str(folder), device="cpu")
    report("pipeline('image-text-to-text', model=folder): load", f"{time.perf_counter() - t:.2f} s")

    spent = time_stages(captioner)
    greedy = Decoding("greedy", 1, 0.9, 0, args.tokens, args.tokens, None)
    beam = Decoding("beam", args.beams, 0.9, 0, args.tokens, args.tokens, None)
    plain_greedy = {"max_new_tokens": args.tokens, "min_new_tokens": args.tokens, "do_sample": False}
    plain_beam = dict(plain_greedy, num_beams=args.beams)
    captioner.caption(images[:1], greedy, "gradcam")  # warm-up, both
    pipe(images=images[:1], text=[""], generate_kwargs=plain_greedy)

    def ours(decoding, batch):
        for i in range(0, n, batch):
            captioner.caption(images[i : i + batch], decoding, "gradcam")

    def plain(kwargs, batch):
        for i in range(0, n, batch):
            chunk = images[i : i + batch]
            pipe(images=chunk, text=[""] * len(chunk), generate_kwargs=kwargs, batch_size=batch)

    configs = [("greedy", greedy, plain_greedy), (f"beam {args.beams}", beam, plain_beam)]
    batches = sorted({1, args.batch})
    runs: dict[tuple[str, int, str], list[dict]] = {}
    for round_ in range(args.rounds):  # interleaved: each round runs every configuration, ours then the pipeline's
        for label, decoding, kwargs in configs:
            for batch in batches:
                for who, run in (("ours", lambda: ours(decoding, batch)), ("pipeline", lambda: plain(kwargs, batch))):
                    for stage in STAGES:
                        spent[stage] = 0.0
                    t0, c0 = time.perf_counter(), time.process_time()
                    with peak_memory() as m:
                        run()
                    runs.setdefault((label, batch, who), []).append(
                        {"s": time.perf_counter() - t0, "cpu": time.process_time() - c0, "peak": m["peak_mb"], "added": m["peak_mb"] - m["start_mb"],
                         **({k: spent[k] for k in STAGES} if who == "ours" else {})})
                    print(f"  round {round_ + 1}: {who}, {label}, batch {batch}: {runs[(label, batch, who)][-1]['s']:.1f} s, "
                          f"CPU {runs[(label, batch, who)][-1]['cpu']:.1f} s (load average {os.getloadavg()[0]:.1f})", flush=True)
    ratios = []
    for label, *_ in configs:
        for batch in batches:
            best = {who: min(runs[(label, batch, who)], key=lambda r: r["s"]) for who in ("ours", "pipeline")}
            mine, theirs = best["ours"], best["pipeline"]
            split = ", ".join(f"{name} {mine[stage] / n:.2f}" for name, stage in zip(("vision", "generate", "heatmap gradient"), STAGES))
            where = "one by one" if batch == 1 else f"batch {batch}"
            report(f"ours, {label}, gradcam heatmaps, {where}", f"{n / mine['s']:.3f} images/s ({mine['s'] / n:.2f} s/image: {split}; "
                   f"CPU {mine['cpu'] / n:.2f} s/image), peak RSS {mine['peak']:.0f} MB (+{mine['added']:.0f} MB during the run)")
            report(f"pipeline, {label}, no heatmaps, {where}", f"{n / theirs['s']:.3f} images/s ({theirs['s'] / n:.2f} s/image; "
                   f"CPU {theirs['cpu'] / n:.2f} s/image), peak RSS {theirs['peak']:.0f} MB (+{theirs['added']:.0f} MB during the run)")
            ratios.append((f"{label}, {where}", theirs["s"] / mine["s"], theirs["cpu"] / mine["cpu"]))
    for name, ratio, cpu_ratio in ratios:
        report(f"ours with heatmaps / pipeline without, {name}", f"{ratio:.2f}x images/s (wall), {cpu_ratio:.2f}x images per CPU second")

    # lower precision: caption agreement with fp32 on the same images, and speed
    reference = [r.token_ids for r in captioner.caption(images, greedy, "gradcam")]
    for precision in ("bf16", "int8"):
        low = load_captioner(resolve_model(str(folder), None, work), "cpu", precision=precision)
        t0 = time.perf_counter()
        got = []
        for i in range(0, n, args.batch):
            got += [r.token_ids for r in low.caption(images[i : i + args.batch], greedy, "gradcam")]
        wall = time.perf_counter() - t0
        same = sum(a == b for a, b in zip(got, reference))
        tokens = sum(len(a) for a in reference)
        agree = sum(x == y for a, b in zip(got, reference) for x, y in zip(a, b))
        report(f"precision {precision} against fp32, greedy, gradcam, batch {args.batch}",
               f"{same}/{n} captions identical, {agree}/{tokens} tokens agree; {n / wall:.3f} images/s (one run)")
        del low

    # the whole step (store, rendering overlays) with a cold store, then a fully cached rebuild
    from unfragile_ssg.captions.step import caption_entries

    site = work / "site"
    config = write_site(site, folder, {f"{i:02d}-{name}": (SAMPLES / name).read_bytes() for i, name in enumerate(names)},
                        captions={"max_new_tokens": args.tokens, "min_new_tokens": args.tokens, "batch_size": args.batch})
    project, entries = load_site(config)
    captions_model.load_captioner = lambda ref, device="auto", **options: captioner  # reuse the loaded model
    from unfragile_ssg.captions import step

    encoding = {"s": 0.0}
    save = step._save

    def timed_save(*a, **k):
        t1 = time.perf_counter()
        try:
            return save(*a, **k)
        finally:
            encoding["s"] += time.perf_counter() - t1

    step._save = timed_save
    for stage in STAGES:
        spent[stage] = 0.0
    t0 = time.perf_counter()
    with peak_memory() as m:
        result = caption_entries(project, entries)
    wall = time.perf_counter() - t0
    split = ", ".join(f"{name} {spent[stage] / n:.2f}" for name, stage in zip(("vision", "generate", "heatmap gradient"), STAGES))
    report(f"whole step, per-stage split (s/image)", f"{split}, encode heatmaps + store {encoding['s'] / n:.2f}")
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
