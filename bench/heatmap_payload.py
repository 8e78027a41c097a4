"""What a sample's heatmaps cost a reader, beyond the photograph: bytes per sample.

    .venv/bin/python bench/heatmap_payload.py [--config unfragile.yaml] [--blip-words 30]

Two measurements, both through the build's own captioning step:

1. the example site's stored samples (its caption store, as committed): per sample, the
   heatmaps as data (``maps.bin``, what a page with JavaScript fetches) and the composite image
   (``sheet.webp``, what a page without it shows);
2. BLIP base's geometry (384 px images in 16 px patches: a 24x24 grid) on the example's four
   photographs, with a small random-weight BLIP that writes ``--blip-words`` words per caption
   (random weights never stop early), the worst case the issue measured (10-29 words, 63-167 KB
   per sample when each word was its own photo-sized WebP).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "content" / "media" / "samples"


def sizes(report) -> list[tuple[str, int, int, int, int]]:
    """(image, words, photo bytes, maps.bin bytes, sheet.webp bytes) per captioned sample."""
    out = []
    for views in report.samples.values():
        for v in views:
            if v.heatmaps is None:
                continue
            out.append((v.source_path, len([w for w in v.words if w.map]), report.files[v.image].stat().st_size,
                        report.files[v.heatmaps.maps].stat().st_size, report.files[v.heatmaps.sheet].stat().st_size))
    return out


def show(title: str, rows) -> None:
    print(title)
    print(f"  {'sample':40s} {'words':>5s} {'photo':>8s} {'data':>8s} {'composite':>9s}")
    for name, words, photo, data, sheet in rows:
        print(f"  {name:40s} {words:5d} {photo:8,d} {data:8,d} {sheet:9,d}")
    if rows:
        print(f"  largest beyond the photo: with JavaScript {max(r[3] for r in rows):,} bytes, "
              f"without {max(r[4] for r in rows):,} bytes")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "unfragile.yaml")
    parser.add_argument("--blip-words", type=int, default=30)
    args = parser.parse_args(argv)

    from unfragile_ssg.captions.step import caption_entries
    from unfragile_ssg.captions.testing import load_site, save_random_blip, tiny_config, write_site
    from unfragile_ssg.config import load_project
    from unfragile_ssg.content.load import load_entries
    from unfragile_ssg.content.validate import validate_entries

    project = load_project(args.config)
    raws, _ = load_entries(project)
    entries, _ = validate_entries(project, raws)
    show(f"The example site's caption store ({project.display(project.caption_store)}/):",
         sizes(caption_entries(project, entries, compute=False)))

    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        model = save_random_blip(Path(tmp) / "model", tiny_config(image_size=384, patch_size=16))
        images = {p.name: p.read_bytes() for p in sorted(PHOTOS.glob("*.jpg"))}
        config = write_site(Path(tmp) / "site", model, images,
                            captions={"max_new_tokens": args.blip_words, "min_new_tokens": args.blip_words})
        blip_project, blip_entries = load_site(config)
        show(f"BLIP base's 24x24 grid, {args.blip_words} words a caption, on {len(images)} photographs:",
             sizes(caption_entries(blip_project, blip_entries)))


if __name__ == "__main__":
    main()
