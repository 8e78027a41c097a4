"""Score the shapes captioner, through the project's own caption and heatmap code.

    .venv/bin/python -m shapes.evaluate [--model shapes/model] [--scenes 200] [--write]

Held-out scenes (``shapes.scenes`` with seed ``HELD_OUT_SEED``, never used in training) are
captioned by ``unfragile_ssg.captions.model`` exactly as the build captions a sample image:
``resolve_model`` and ``load_captioner`` load the folder, ``Captioner.caption`` generates with
the site's default decoding and returns, per generated token, the heatmap over the 8x8 patch
grid before any upsampling. Nothing here re-implements generation or the heatmaps.

Reported:

- caption accuracy: exact (same words, same order) and ignoring order (the same set of
  objects named), overall and for one- and two-object scenes;
- the pointing game per heatmap method: a word hits when the strongest cell of its heatmap
  lies in the box of the object it names, widened by half a patch. Scored words are the colour
  and shape words that name exactly one object of the scene; a flat map (no strongest cell)
  is a miss. The random baseline is the expected hit rate of a uniformly drawn cell over the
  same words;
- the row-to-token alignment. Row j of the teacher-forced pass explains token j+1; a heatmap
  taken from the row one before or one after is the classic off-by-one. Two views of it:
  ``after_and``, the word that follows "and" scored against the second object with its map from
  the correct row and from each neighbouring row; and ``alignment``, the same for every colour
  and shape word of two-object scenes that has rows on both sides. In colour-then-shape captions
  most neighbours name the same object, which hides a shift from the plain pointing score; across
  the phrase boundary they do not. (Measured: the word after "and" is the article "a", which is
  certain once "and" is written, and its row looks at the first object more than the second; so
  the ``alignment`` view is the one that can tell a shift, and the test asserts it for gradcam.)
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import scenes as sc

HELD_OUT_SEED = 20_260_601
SCENES = 200
METHODS = ("gradcam", "attention")
REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "shapes" / "model"
SCORES = REPO / "shapes" / "scores.json"
SHIFTS = (-1, 0, 1)


@dataclass
class Tally:
    hits: int = 0
    n: int = 0
    chance: float = 0.0  # sum of per-word expected hit rates of a random cell

    def add(self, hit: bool, chance: float) -> None:
        self.hits += int(hit)
        self.n += 1
        self.chance += chance

    def as_dict(self) -> dict:
        return {
            "score": round(self.hits / self.n, 4) if self.n else None,
            "random": round(self.chance / self.n, 4) if self.n else None,
            "hits": self.hits,
            "words": self.n,
        }


@dataclass
class MethodScores:
    pointing: Tally = field(default_factory=Tally)
    by_kind: dict = field(default_factory=lambda: {"colour": Tally(), "shape": Tally()})
    after_and: dict = field(default_factory=lambda: {s: Tally() for s in SHIFTS})
    alignment: dict = field(default_factory=lambda: {s: Tally() for s in SHIFTS})


def point_hit(grid_map: np.ndarray, box) -> bool:
    """True when the strongest cell of ``grid_map`` (rows = y, cols = x) is in ``box``
    widened by half a patch. A flat map points nowhere and misses."""
    grid_map = np.asarray(grid_map, dtype=np.float64)
    if not np.isfinite(grid_map).all() or grid_map.max() - grid_map.min() <= 1e-12 * max(1.0, abs(grid_map.max())):
        return False
    r, c = np.unravel_index(int(np.argmax(grid_map)), grid_map.shape)
    return bool(sc.box_cells(box)[r, c])


def chance(box) -> float:
    return float(sc.box_cells(box).mean())


def named_object(word: str, things) -> sc.Thing | None:
    """The one object of the scene a colour or shape word names, or None (none, or several)."""
    matches = [t for t in things if word in (t.colour, t.shape)]
    return matches[0] if len(matches) == 1 else None


def phrases(words: list[str]) -> list[tuple[str, ...]]:
    out, current = [], []
    for w in words:
        if w == "and":
            out.append(tuple(current))
            current = []
        else:
            current.append(w)
    out.append(tuple(current))
    return out


def objects_of(words: list[str]) -> list[tuple[str, str]] | None:
    found = []
    for p in phrases(words):
        if len(p) != 3 or p[0] != "a" or p[1] not in sc.COLOURS or p[2] not in sc.SHAPES:
            return None
        found.append((p[1], p[2]))
    return found


def caption_words(raw, special: set[str]) -> tuple[list[str], list[int]]:
    """The caption's words and, for each, its index into ``raw.maps`` (word-level vocabulary:
    one token per word)."""
    words, index = [], []
    for i, token in enumerate(raw.tokens):
        if i < raw.prompt_tokens or token in special:
            continue
        words.append(token)
        index.append(i)
    return words, index


def load(model: Path):
    from unfragile_ssg.captions.model import load_captioner, resolve_model

    model = Path(model).resolve()
    try:  # named as the site names it (relative to the site root) when inside the project
        spec, root = model.relative_to(REPO).as_posix(), REPO
    except ValueError:
        spec, root = str(model), model.parent
    ref = resolve_model(spec, None, root)
    return load_captioner(ref, "cpu")


def site_decoding():
    """The decoding the site uses by default (``captions:`` settings with no overrides)."""
    from unfragile_ssg.captions.step import decoding_of
    from unfragile_ssg.config import CaptionSettings

    return decoding_of(CaptionSettings())


def evaluate(model: Path = MODEL, n: int = SCENES, seed: int = HELD_OUT_SEED, batch: int = 50,
             captioner=None) -> dict:
    started = time.perf_counter()
    threads = None
    if captioner is None:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # as in training: two threads crawl when the cores are shared
        captioner = load(model)
    try:
        return _evaluate(captioner, n, seed, batch, started)
    finally:
        if threads is not None:
            import torch

            torch.set_num_threads(threads)


def _evaluate(captioner, n: int, seed: int, batch: int, started: float) -> dict:
    decoding = site_decoding()
    held_out = sc.scenes(seed, n)
    special = set(getattr(captioner.tokenizer, "all_special_tokens", []))
    captions: list[str] | None = None
    exact = {1: [0, 0], 2: [0, 0]}
    unordered = {1: [0, 0], 2: [0, 0]}
    methods: dict[str, MethodScores] = {}
    examples = []
    for method in METHODS:
        raws = []
        for start in range(0, n, batch):
            raws.extend(captioner.caption([s.image for s in held_out[start : start + batch]], decoding, method))
        scores = methods[method] = MethodScores()
        these = []
        for scene, raw in zip(held_out, raws):
            words, index = caption_words(raw, special)
            these.append(" ".join(words))
            for pos, (word, i) in enumerate(zip(words, index)):
                kind = "colour" if word in sc.COLOURS else "shape" if word in sc.SHAPES else None
                if kind:
                    thing = named_object(word, scene.things)
                    if thing is not None:
                        hit = point_hit(raw.maps[i], thing.box)
                        scores.pointing.add(hit, chance(thing.box))
                        scores.by_kind[kind].add(hit, chance(thing.box))
                        # Alignment: in two-object scenes a neighbouring row may concern the
                        # other object. Only words that have rows on both sides (not the last).
                        if len(scene.things) == 2 and 0 <= i - 1 and i + 1 < len(raw.maps):
                            for shift in SHIFTS:
                                scores.alignment[shift].add(point_hit(raw.maps[i + shift], thing.box), chance(thing.box))
                if word == "and" and pos + 1 < len(words):
                    said = objects_of(words)
                    truth = [(t.colour, t.shape) for t in scene.things]
                    # Only when the phrase after "and" names the scene's second object.
                    if said and len(said) == 2 and len(truth) == 2 and said[1] == truth[1]:
                        box = scene.things[1].box
                        j = index[pos + 1]
                        for shift in SHIFTS:
                            if 0 <= j + shift < len(raw.maps):
                                scores.after_and[shift].add(point_hit(raw.maps[j + shift], box), chance(box))
        if captions is None:
            captions = these
        elif captions != these:
            raise AssertionError("the two heatmap methods were given different captions for the same images")
    for scene, text in zip(held_out, captions):
        k = len(scene.things)
        exact[k][1] += 1
        unordered[k][1] += 1
        exact[k][0] += int(text == scene.caption)
        said = objects_of(text.split())
        unordered[k][0] += int(said is not None and sorted(said) == sorted((t.colour, t.shape) for t in scene.things))
        if len(examples) < 8:
            examples.append({"truth": scene.caption, "said": text})

    def rate(table, k=None):
        hits = sum(v[0] for key, v in table.items() if k in (None, key))
        total = sum(v[1] for key, v in table.items() if k in (None, key))
        return round(hits / total, 4) if total else None

    result = {
        "scenes": n,
        "seed": seed,
        "decoding": decoding.method,
        "grid": list(captioner.grid),
        "model": captioner.ref.display,
        "captions": {
            "exact": rate(exact),
            "exact_one_object": rate(exact, 1),
            "exact_two_objects": rate(exact, 2),
            "ignoring_order": rate(unordered),
            "one_object_scenes": exact[1][1],
            "two_object_scenes": exact[2][1],
        },
        "pointing": {},
        "examples": examples,
    }
    for method, scores in methods.items():
        entry = scores.pointing.as_dict()
        entry["colour_words"] = scores.by_kind["colour"].as_dict()
        entry["shape_words"] = scores.by_kind["shape"].as_dict()
        rows = {-1: "row_before", 0: "correct_row", 1: "row_after"}
        entry["after_and"] = {rows[s]: t.as_dict() for s, t in scores.after_and.items()}
        entry["alignment"] = {rows[s]: t.as_dict() for s, t in scores.alignment.items()}
        result["pointing"][method] = entry
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _f(value, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def summary(result: dict) -> str:
    c = result["captions"]
    lines = [
        f"{result['scenes']} held-out scenes (seed {result['seed']}), {result['decoding']} decoding, "
        f"{result['grid'][0]}x{result['grid'][1]} patch grid",
        f"captions: exact {_f(c['exact'], '.1%')} (one object {_f(c['exact_one_object'], '.1%')}, two objects "
        f"{_f(c['exact_two_objects'], '.1%')}); ignoring order {_f(c['ignoring_order'], '.1%')}",
        "pointing game (strongest cell inside the named object's box widened by half a patch):",
    ]
    for method, p in result["pointing"].items():
        a = p["after_and"]
        lines.append(
            f"  {method:9s} {_f(p['score'])} over {p['words']} words (random {_f(p['random'])}); "
            f"colour {_f(p['colour_words']['score'])}, shape {_f(p['shape_words']['score'])}; "
            f"word after 'and': {_f(a['correct_row']['score'])} (row before {_f(a['row_before']['score'])}, "
            f"row after {_f(a['row_after']['score'])}, n={a['correct_row']['words']}, random {_f(a['correct_row']['random'])})"
        )
        g = p["alignment"]
        lines.append(
            f"  {'':9s} alignment, colour/shape words of two-object scenes: correct row {_f(g['correct_row']['score'])}, "
            f"row before {_f(g['row_before']['score'])}, row after {_f(g['row_after']['score'])} (n={g['correct_row']['words']})"
        )
    return "\n".join(lines)


READING = """How to read them:

- Pointing game: a colour or shape word hits when the strongest of the 64 cells of its heatmap
  (before any upsampling) lies in the box of the object the word names, widened by half a
  patch. "random" is what a cell drawn at random would score on the same words.
- The word after "and" is always the article "a". Once "and" is written it is certain, and its
  gradient-weighted map looks at the first object more often than the second, so that word cannot
  tell a shifted alignment from the correct one. The alignment line is the test that can: over
  the colour and shape words of two-object scenes, the correct row must beat the rows one before
  and one after, and for the gradient-weighted maps (whose target is the explained token's own
  log-probability) it does, by a wide margin.
- Raw attention peaks one row later than the row that explains a word: the row in which the word
  itself is the query (while the model predicts the next word) points at the word's object more
  often than the row that predicted it. The build uses the row that explains the word for both
  methods; that raw attention would score higher with the other convention is a finding about
  raw attention, not an alignment error (the gradient-weighted line shows the indexing is right)."""


def write_scores(result: dict, path: Path = SCORES, model: Path = MODEL) -> None:
    from .train import SCORES_BEGIN, SCORES_END, TRAINING_MD

    stable = {k: v for k, v in result.items() if k != "seconds"}
    path.write_text(json.dumps(stable, indent=2) + "\n", "utf-8")
    md = model / TRAINING_MD
    if md.exists():
        text = md.read_text("utf-8")
        block = (f"{SCORES_BEGIN}\n## Scores\n\nFrom `.venv/bin/python -m shapes.evaluate --write` "
                 f"(also in `shapes/scores.json`):\n\n```\n{summary(result)}\n```\n\n{READING}\n{SCORES_END}")
        if SCORES_BEGIN in text and SCORES_END in text:
            text = text[: text.index(SCORES_BEGIN)] + block + text[text.index(SCORES_END) + len(SCORES_END) :]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        md.write_text(text, "utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--scenes", type=int, default=SCENES)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    parser.add_argument("--write", action="store_true", help="write shapes/scores.json and the scores in TRAINING.md")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    args = parser.parse_args(argv)
    result = evaluate(args.model.resolve(), args.scenes, args.seed)
    print(json.dumps(result, indent=2) if args.json else summary(result))
    print(f"({result['seconds']} s)")
    if args.write:
        write_scores(result, model=args.model.resolve())


if __name__ == "__main__":
    main()
