"""Generate a synthetic catalog of N entries with realistic sizes, for benchmarks."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = (
    "model image caption vision text encoder decoder prompt retrieval dataset benchmark token "
    "attention transformer patch embedding latency memory quality license training inference "
    "batch beam sampling grounding region object scene detection answer question summary code "
    "agent tool search index rank score evidence source community release update weights"
).split()
TASKS = ["image-captioning", "visual-question-answering", "image-text-retrieval", "object-detection",
         "ocr", "text-generation", "code-generation", "prompt-engineering", "agents", "ai-safety"]


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def make_catalog(root: Path, entries: int, seed: int = 0) -> Path:
    """Write unfragile.yaml and content/ for ``entries`` entries under ``root``."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    tasks_yaml = "".join(f"  {t}:\n    label: {t.replace('-', ' ').capitalize()}\n" for t in TASKS)
    (root / "unfragile.yaml").write_text(
        f"title: Synthetic\nbase_url: https://bench.example/\ntasks:\n{tasks_yaml}", "utf-8"
    )
    slugs = [f"entry-{i:05d}" for i in range(entries)]
    for kind in ("models", "prompts"):
        (root / "content" / kind).mkdir(parents=True, exist_ok=True)
    for i, slug in enumerate(slugs):
        kind = "models" if i % 3 else "prompts"
        tasks = rng.sample(TASKS, rng.randint(1, 3))
        others = rng.sample(slugs, 4)
        compare = [o for o in others if o != slug][: rng.randint(0, 2)]  # about 30,000 comparison pages at 10,000 entries, as in the Hugo figure
        caps = []
        for c in range(rng.randint(4, 14)):
            caps.append(
                f"  - name: {sentence(rng, 3, 6)[:-1]}\n"
                f"    description: {sentence(rng, 40, 70)}\n"
                f"    unique: {sentence(rng, 25, 45)}\n"
                f"    vs_alternatives: {sentence(rng, 25, 45)}\n"
                f"    tasks: [{rng.choice(tasks)}]\n"
                # drawn from no random numbers, so the rest of the catalog is what it was before entries had limitations
                f"    limitations: [Capability {c} of entry {i} is synthetic and has not been measured on real inputs.]\n"
            )
        signals = (
            f"  downloads: {{value: {rng.randint(0, 5_000_000)}, as_of: 2026-10-01, source: https://hub.example/{slug}}}\n"
            f"  likes: {{value: {rng.randint(0, 5000)}, as_of: 2026-10-01, source: https://hub.example/{slug}}}\n"
            f"  stars: {{value: {rng.randint(0, 50000)}, as_of: 2026-10-01, source: https://git.example/{slug}}}\n"
            f"  released: {{value: 20{rng.randint(18, 26)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}, source: https://hub.example/{slug}}}\n"
        )
        body = "\n\n".join(sentence(rng, 60, 120) for _ in range(rng.randint(2, 5)))
        text = (
            f"---\ntitle: Entry {i}\nsummary: {sentence(rng, 12, 25)}\npublisher: Publisher {i % 97}\n"
            f"license: MIT\npricing: {rng.choice(['free', 'freemium', 'paid'])}\n"
            f"links:\n  homepage: https://example.org/{slug}\n"
            f"tasks: [{', '.join(tasks)}]\ntags: [tag-{i % 13}]\nsignals:\n{signals}"
            f"capabilities:\n{''.join(caps)}compare_with: [{', '.join(compare)}]\n---\n## Overview\n\n{body}\n"
        )
        (root / "content" / kind / f"{slug}.md").write_text(text, "utf-8")
    return root / "unfragile.yaml"
