"""Generate a synthetic catalog of N entries with realistic sizes, for benchmarks.

Two vocabularies: ``realistic`` (the default) draws words from a generated list of
``REALISTIC_WORDS`` pseudo-words by a Zipf law, as natural text does (a few words everywhere, a
long tail of rare ones); ``small`` draws uniformly from 50 words, so that every entry shares
almost every word with every other: the worst case for the match graph and its weights.
Both are deterministic by seed."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

VOCABULARIES = ("realistic", "small")
REALISTIC_WORDS = 6000
ZIPF_EXPONENT = 1.07  # English word frequencies follow rank ** -1.0 to -1.1
SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["tra", "ex", "ion", "ing", "er", "al"]

WORDS = (
    "model image caption vision text encoder decoder prompt retrieval dataset benchmark token "
    "attention transformer patch embedding latency memory quality license training inference "
    "batch beam sampling grounding region object scene detection answer question summary code "
    "agent tool search index rank score evidence source community release update weights"
).split()
TASKS = ["image-captioning", "visual-question-answering", "image-text-retrieval", "object-detection",
         "ocr", "text-generation", "code-generation", "prompt-engineering", "agents", "ai-safety"]


def word_list(count: int, seed: int) -> list[str]:
    """``count`` distinct pseudo-words of one to four syllables, the domain's 50 words first
    (the most frequent), the rest in a seeded order."""
    rng = random.Random(f"words-{seed}")
    words = dict.fromkeys(WORDS)
    for length in itertools.cycle((2, 3, 1, 4, 3, 2)):
        if len(words) >= count:
            break
        words.setdefault("".join(rng.choice(SYLLABLES) for _ in range(length)))
    return list(words)


class Vocabulary:
    """Draws words for sentences: uniformly from the 50 words (``small``: the draws, and so the
    catalog, are the ones this module always made), or by a Zipf law from a generated list."""

    def __init__(self, name: str, seed: int):
        if name not in VOCABULARIES:
            raise ValueError(f"unknown vocabulary {name!r}: one of {', '.join(VOCABULARIES)}")
        self.name = name
        if name == "realistic":
            self.words = word_list(REALISTIC_WORDS, seed)
            self.cumulative = list(itertools.accumulate(1 / rank**ZIPF_EXPONENT for rank in range(1, len(self.words) + 1)))

    def draw(self, rng: random.Random, count: int) -> list[str]:
        if self.name == "small":
            return [rng.choice(WORDS) for _ in range(count)]
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)


SMALL = Vocabulary("small", 0)


def sentence(rng: random.Random, low: int, high: int, vocabulary: Vocabulary = SMALL) -> str:
    words = vocabulary.draw(rng, rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def make_catalog(root: Path, entries: int, seed: int = 0, vocabulary: str = "small") -> Path:
    """Write unfragile.yaml and content/ for ``entries`` entries under ``root``, their text drawn
    from ``vocabulary`` (one of VOCABULARIES)."""
    rng = random.Random(seed)
    words = Vocabulary(vocabulary, seed)
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
                f"  - name: {sentence(rng, 3, 6, words)[:-1]}\n"
                f"    description: {sentence(rng, 40, 70, words)}\n"
                f"    unique: {sentence(rng, 25, 45, words)}\n"
                f"    vs_alternatives: {sentence(rng, 25, 45, words)}\n"
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
        body = "\n\n".join(sentence(rng, 60, 120, words) for _ in range(rng.randint(2, 5)))
        text = (
            f"---\ntitle: Entry {i}\nsummary: {sentence(rng, 12, 25, words)}\npublisher: Publisher {i % 97}\n"
            f"license: MIT\npricing: {rng.choice(['free', 'freemium', 'paid'])}\n"
            f"links:\n  homepage: https://example.org/{slug}\n"
            f"tasks: [{', '.join(tasks)}]\ntags: [tag-{i % 13}]\nsignals:\n{signals}"
            f"capabilities:\n{''.join(caps)}compare_with: [{', '.join(compare)}]\n---\n## Overview\n\n{body}\n"
        )
        (root / "content" / kind / f"{slug}.md").write_text(text, "utf-8")
    return root / "unfragile.yaml"
