"""Train the shapes captioner: a small BLIP-architecture model on generated scenes.

    .venv/bin/python -m shapes.train --out build/shapes-first            # 1: one or two objects
    .venv/bin/python -m shapes.train --from build/shapes-first --out shapes/model   # 2: harder scenes

Stage 1 trains from random weights on scenes of one or two objects anywhere. Stage 2 goes on
from those weights on ``scenes.varied_scene``: one to three objects, a quarter of them against
the borders (``make shapes-model`` runs both).

Seeded and a fixed number of steps, so two runs on the same machine give the same weights.
The output folder loads like any BLIP checkpoint (``BlipForConditionalGeneration`` and
``BlipProcessor``), so the project's captioning code treats it as it would BLIP-base.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import re
import time
from pathlib import Path

import numpy as np

from . import scenes as sc

SEED = 0
STEPS = 3200
BATCH = 32
LR = 1e-3
WARMUP = 200
# Stage 2, from stage 1's weights: its own seed (other scenes), a gentler schedule.
MORE_SEED = 1
MORE_STEPS = 1000
MORE_LR = 5e-4
MORE_WARMUP = 50
WEIGHT_DECAY = 0.01
CLIP = 1.0
THREADS = 1  # two threads spin-wait badly when other jobs share the 2 cores (measured: 4x slower)
MAX_LEN = 10  # [DEC] + 8 words + [SEP]: stage 1 (as its weights were made)
MORE_MAX_LEN = 13  # [DEC] + 11 words (three objects) + [SEP]: stage 2
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)


def build_config():
    from transformers import BlipConfig

    text = dict(
        vocab_size=len(sc.VOCAB),
        hidden_size=96,
        encoder_hidden_size=96,
        intermediate_size=192,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=16,
        pad_token_id=sc.VOCAB.index("[PAD]"),
        bos_token_id=sc.VOCAB.index("[DEC]"),
        eos_token_id=sc.VOCAB.index("[SEP]"),
        sep_token_id=sc.VOCAB.index("[SEP]"),
        initializer_range=0.02,
    )
    vision = dict(
        hidden_size=96,
        intermediate_size=192,
        num_hidden_layers=3,
        num_attention_heads=4,
        image_size=sc.SIZE,
        patch_size=sc.PATCH,
        initializer_range=0.02,
    )
    config = BlipConfig(text_config=text, vision_config=vision, projection_dim=96)
    config.initializer_range = 0.02
    return config


def build_processor(max_len: int = MAX_LEN):
    from transformers import BertTokenizer, BlipImageProcessorPil, BlipProcessor

    vocab = {w: i for i, w in enumerate(sc.VOCAB)}
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True, model_max_length=max_len, bos_token="[DEC]")
    image_processor = BlipImageProcessorPil(
        size={"height": sc.SIZE, "width": sc.SIZE}, image_mean=list(MEAN), image_std=list(STD)
    )
    return BlipProcessor(image_processor=image_processor, tokenizer=tokenizer)


def pixels(images) -> "np.ndarray":
    """The processor's pixel values for scene-sized images, without its per-image overhead
    (a 128x128 image is not resized; ``tests/shapes`` checks this equals the processor)."""
    batch = np.stack([np.asarray(im, dtype=np.float32) for im in images]) / np.float32(255.0)
    batch = (batch - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return batch.transpose(0, 3, 1, 2).astype(np.float32)


def token_batch(captions, max_len: int = MAX_LEN) -> "np.ndarray":
    """[DEC] w1 .. wn [SEP] [PAD]..., as ``generate()`` sees a caption."""
    bos, eos, pad = (sc.VOCAB.index(t) for t in ("[DEC]", "[SEP]", "[PAD]"))
    out = np.full((len(captions), max_len), pad, dtype=np.int64)
    for i, caption in enumerate(captions):
        ids = [bos, *sc.word_ids(caption), eos]
        out[i, : len(ids)] = ids
    return out


def learning_rate(step: int, steps: int = STEPS, peak: float = LR, warmup: int = WARMUP) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


def train(out: Path, steps: int | None = None, seed: int | None = None, log_every: int = 100, threads: int = THREADS,
          start: Path | None = None) -> dict:
    """Stage 1 from random weights, or stage 2 from the weights in ``start``."""
    import torch
    from safetensors.torch import save_file  # noqa: F401  (save_pretrained needs it)
    from transformers import BlipForConditionalGeneration

    more = start is not None
    steps = steps if steps is not None else MORE_STEPS if more else STEPS
    seed = seed if seed is not None else MORE_SEED if more else SEED
    peak, warmup = (MORE_LR, MORE_WARMUP) if more else (LR, WARMUP)
    max_len = MORE_MAX_LEN if more else MAX_LEN
    make = sc.varied_scene if more else sc.make_scene
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    if more:
        model = BlipForConditionalGeneration.from_pretrained(start, use_safetensors=True, dtype=torch.float32)
        started_from = hashlib.sha256((Path(start) / "model.safetensors").read_bytes()).hexdigest()
    else:
        model = BlipForConditionalGeneration(build_config())
    model.train()
    params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    optimiser = torch.optim.AdamW(
        [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}], lr=peak
    )
    pad = sc.VOCAB.index("[PAD]")
    rng = np.random.default_rng(seed)  # training scenes; held-out ones use other seeds
    started = time.monotonic()
    losses = []
    for step in range(steps):
        batch = [make(rng) for _ in range(BATCH)]
        pixel_values = torch.from_numpy(pixels([s.image for s in batch]))
        ids = torch.from_numpy(token_batch([s.caption for s in batch], max_len))
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(step, steps, peak, warmup)
        image_embeds = model.vision_model(pixel_values=pixel_values).last_hidden_state
        logits = model.text_decoder(
            input_ids=ids, attention_mask=(ids != pad).long(), encoder_hidden_states=image_embeds, use_cache=False
        ).logits
        target = ids[:, 1:].masked_fill(ids[:, 1:] == pad, -100)
        loss = torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=-100
        )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimiser.step()
        losses.append(float(loss.detach()))
        if log_every and (step + 1) % log_every == 0:
            recent = sum(losses[-log_every:]) / log_every
            print(f"step {step + 1}/{steps}  loss {recent:.4f}  lr {learning_rate(step, steps, peak, warmup):.2e}  "
                  f"{time.monotonic() - started:.0f}s", flush=True)
    wall = time.monotonic() - started
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    build_processor(max_len).save_pretrained(out)
    weights = out / "model.safetensors"
    record = {
        "stage": 2 if more else 1,
        "scenes": "varied_scene: one to three objects, a quarter against the borders" if more else "make_scene: one or two objects",
        **({"started_from_weights_sha256": started_from} if more else {}),
        "seed": seed,
        "steps": steps,
        "batch": BATCH,
        "lr": peak,
        "warmup": warmup,
        "weight_decay": WEIGHT_DECAY,
        "clip": CLIP,
        "threads": threads,
        "parameters": params,
        "final_loss": sum(losses[-100:]) / min(100, len(losses)),
        "wall_s": round(wall, 1),
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "torch": torch.__version__,
        "transformers": __import__("transformers").__version__,
        "python": platform.python_version(),
    }
    write_record(out, record, stage_records(start) if more else None)
    return record


TRAINING_MD = "TRAINING.md"
REPRODUCED = ("A second full run of stage 1 (same seed, same thread count, same machine) wrote a "
              "bit-identical `model.safetensors`; stage 2 has been run once.")
SCORES_BEGIN, SCORES_END = "<!-- scores: written by shapes.evaluate -->", "<!-- end of scores -->"


def stage_records(folder: Path) -> list[dict]:
    """The training records in a model folder's ``TRAINING.md``, first stage first."""
    path = Path(folder) / TRAINING_MD
    if not path.exists():
        return []
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", path.read_text("utf-8"), re.S)]


def _stage_text(record: dict) -> str:
    more = record.get("stage", 1) == 2
    start = (f"from the stage-1 weights (sha256 `{record['started_from_weights_sha256'][:12]}`)" if more
             else "from random weights")
    scenes = ("scenes of one to three objects, a quarter of them with every object against a border "
              "(`scenes.varied_scene`)" if more else "scenes of one or two objects anywhere (`scenes.make_scene`)")
    return f"""- Data: {start}, on {scenes}: a fresh batch of {record["batch"]} per step from
  `numpy.random.default_rng({record["seed"]})` ({record["steps"] * record["batch"]:,} scenes in all).
- Optimiser: AdamW, learning rate {record["lr"]:g} with {record["warmup"]} warm-up steps then cosine
  decay to 0, weight decay {record["weight_decay"]:g} (not on biases and norms), gradient clipping at
  {record["clip"]:g}; {record["steps"]:,} steps, a fixed count (a time budget would not be reproducible).
- Determinism: `torch.manual_seed({record["seed"]})`, `torch.use_deterministic_algorithms(True)`, and
  {record["threads"]} torch thread{"s" if record["threads"] != 1 else ""} (`--threads`).

```json
{json.dumps(record, indent=2)}
```
"""


def write_record(out: Path, record: dict, earlier: list[dict] | None = None) -> None:
    """``TRAINING.md``: how the weights were made, stage by stage. Markdown on purpose: the
    project's model identity hashes a folder's .json/.safetensors/.txt files, and a file that
    holds a wall time (or scores that an evaluation change rewrites) must not change the
    model's identity."""
    scores = ""
    path = out / TRAINING_MD
    if path.exists():
        text = path.read_text("utf-8")
        if SCORES_BEGIN in text and SCORES_END in text:
            scores = text[text.index(SCORES_BEGIN) : text.index(SCORES_END) + len(SCORES_END)]
    stages = [*(earlier or []), record]
    parts = "\n".join(f"## Stage {r.get('stage', 1)}\n\n{_stage_text(r)}" for r in stages)
    body = f"""# The shapes captioner: how it was made

A BLIP-architecture captioner (`BlipForConditionalGeneration`) trained from random weights on
generated scenes of coloured shapes (`shapes/scenes.py`), to give the project's heatmap code a
ground truth: in these scenes we know where every named object is.

Made by (`make shapes-model`)

    .venv/bin/python -m shapes.train --out build/shapes-first
    .venv/bin/python -m shapes.train --from build/shapes-first --out shapes/model

- Architecture: vision encoder hidden 96, 3 layers, 4 heads, patch 16 on 128x128 images (an 8x8
  grid), MLP 192, `initializer_range` 0.02; text decoder hidden 96, 2 layers, 4 heads, MLP 192, cross-attention to
  the 65 image positions (CLS + 64 patches); {record["parameters"]:,} parameters.
- Vocabulary: {len(sc.VOCAB)} tokens, one per word (`{' '.join(sc.VOCAB)}`), through
  `BertTokenizer(vocab=...)`; the decoder starts from `[DEC]` and stops at `[SEP]`, exactly as
  `generate()` runs it.
- Two stages: first one or two objects anywhere, then, from those weights, the harder scenes
  the evaluation holds out (three objects, objects against the borders). Held-out scenes use
  other seeds.
- The thread count is part of the recipe: it changes the order of floating-point sums, and 1
  and 2 threads give different weights. One thread also keeps training usable when other jobs
  share the cores (two threads spin-wait and ran about four times slower here). {REPRODUCED}

{parts}
"""
    path.write_text(body + (scores or f"{SCORES_BEGIN}\n(not evaluated yet: .venv/bin/python -m shapes.evaluate)\n{SCORES_END}") + "\n", "utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("shapes/model"))
    parser.add_argument("--from", dest="start", type=Path, help="stage 2: go on from the weights in this folder")
    parser.add_argument("--steps", type=int, help=f"default {STEPS} (stage 1), {MORE_STEPS} (stage 2)")
    parser.add_argument("--seed", type=int, help=f"default {SEED} (stage 1), {MORE_SEED} (stage 2)")
    parser.add_argument("--threads", type=int, default=THREADS, help="torch CPU threads (recorded; see TRAINING.md)")
    args = parser.parse_args(argv)
    record = train(args.out, args.steps, args.seed, threads=args.threads, start=args.start)
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
