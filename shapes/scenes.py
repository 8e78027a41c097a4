"""Generated scenes with a known answer: one or two shapes, their caption and their boxes.

A scene is 128x128 pixels on a grey background, holding one to three non-overlapping shapes
(circle, square, triangle) in one of four colours (red, green, blue, yellow), with colour
jitter and light pixel noise. Its caption names the shapes from left to right:
"a red circle" or "a red circle and a blue square and a green triangle". Every shape's
bounding box is kept, so an explanation of a caption word can be checked against where the
named object is. The "edges" layout pushes every shape against a border of the picture, where
patches are cut off and attention maps tend to be weakest.

Everything is drawn from ``numpy.random.default_rng(seed)``: the same seed gives the same
scene, byte for byte, on any machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

SIZE = 128
PATCH = 16
GRID = SIZE // PATCH

SHAPES = ("circle", "square", "triangle")
COLOURS = {
    "red": (215, 45, 40),
    "green": (40, 165, 60),
    "blue": (45, 75, 215),
    "yellow": (230, 205, 45),
}
# The captioner's whole vocabulary, in id order. BLIP's decoder starts from [DEC] (bos)
# and stops at [SEP] (eos); [PAD] fills batches.
SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]")
WORDS = ("a", "and", *COLOURS, *SHAPES)
VOCAB = (*SPECIAL, *WORDS)

MIN_SIDE, MAX_SIDE = 26, 44
GAP = 4  # pixels between the boxes of two shapes
MIN_DX = 12  # any two centres differ this much horizontally, so "left to right" is clear
MAX_OBJECTS = 3
LAYOUTS = ("free", "edges")
JITTER = 25  # per channel, uniform in [-JITTER, JITTER]
NOISE = 6.0  # standard deviation of the Gaussian pixel noise


@dataclass(frozen=True)
class Thing:
    colour: str
    shape: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1 and y1 exclusive

    @property
    def words(self) -> tuple[str, str]:
        return (self.colour, self.shape)

    @property
    def centre_x(self) -> float:
        return (self.box[0] + self.box[2]) / 2


@dataclass(frozen=True)
class Scene:
    image: Image.Image
    things: tuple[Thing, ...]  # left to right
    layout: str = "free"

    @property
    def caption(self) -> str:
        return caption_of(self.things)


def caption_of(things) -> str:
    return " and ".join(f"a {t.colour} {t.shape}" for t in things)


def _overlap(a, b, gap: int) -> bool:
    return not (a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1])


def _place(rng: np.random.Generator, count: int, layout: str = "free") -> list[tuple[int, int, int, int]]:
    while True:
        boxes = []
        for _ in range(count):
            side = int(rng.integers(MIN_SIDE, MAX_SIDE + 1))
            x0 = int(rng.integers(0, SIZE - side + 1))
            y0 = int(rng.integers(0, SIZE - side + 1))
            if layout == "edges":  # against the left, right, top or bottom border
                edge = int(rng.integers(0, 4))
                x0 = 0 if edge == 0 else SIZE - side if edge == 1 else x0
                y0 = 0 if edge == 2 else SIZE - side if edge == 3 else y0
            boxes.append((x0, y0, x0 + side, y0 + side))
        if any(_overlap(a, b, GAP) or abs((a[0] + a[2]) - (b[0] + b[2])) / 2 < MIN_DX
               for i, a in enumerate(boxes) for b in boxes[i + 1 :]):
            continue
        return boxes


def _draw(draw: ImageDraw.ImageDraw, shape: str, box, fill) -> None:
    x0, y0, x1, y1 = box
    # ImageDraw boxes include their last pixel.
    if shape == "circle":
        draw.ellipse((x0, y0, x1 - 1, y1 - 1), fill=fill)
    elif shape == "square":
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=fill)
    else:
        draw.polygon([((x0 + x1 - 1) / 2, y0), (x1 - 1, y1 - 1), (x0, y1 - 1)], fill=fill)


def make_scene(rng: np.random.Generator, count: int | None = None, *, max_count: int = 2,
               layout: str = "free") -> Scene:
    """One scene drawn from ``rng``; ``count`` (1 to ``max_count`` shapes) is drawn too when
    not given. ``layout``: "free" (anywhere) or "edges" (each shape against a border)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    if count is None:
        count = int(rng.integers(1, max_count + 1))
    boxes = _place(rng, count, layout)
    things: list[Thing] = []
    while len(things) < count:
        colour = str(rng.choice(list(COLOURS)))
        shape = str(rng.choice(SHAPES))
        if any(t.colour == colour and t.shape == shape for t in things):
            continue  # two identical objects would make "the named object" ambiguous
        things.append(Thing(colour, shape, boxes[len(things)]))
    grey = int(rng.integers(105, 166))
    tint = rng.integers(-8, 9, size=3)
    background = tuple(int(grey + d) for d in tint)
    image = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(image)
    for thing in things:
        base = np.array(COLOURS[thing.colour])
        fill = tuple(int(v) for v in np.clip(base + rng.integers(-JITTER, JITTER + 1, size=3), 0, 255))
        _draw(draw, thing.shape, thing.box, fill)
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0.0, NOISE, size=(SIZE, SIZE, 3))
    image = Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), "RGB")
    ordered = tuple(sorted(things, key=lambda t: t.centre_x))
    return Scene(image, ordered, layout)


def scenes(seed: int, n: int, count: int | None = None) -> list[Scene]:
    """``n`` scenes of one or two shapes from one seed (the first model's distribution)."""
    rng = np.random.default_rng(seed)
    return [make_scene(rng, count) for _ in range(n)]


EDGE_SHARE = 0.25  # of the scenes of ``varied_scene``: every shape against a border


def varied_scene(rng: np.random.Generator) -> Scene:
    """One to three shapes, a quarter of the scenes in the "edges" layout: what the model is
    trained on and held out against."""
    layout = "edges" if rng.random() < EDGE_SHARE else "free"
    return make_scene(rng, max_count=MAX_OBJECTS, layout=layout)


def varied_scenes(seed: int, n: int) -> list[Scene]:
    rng = np.random.default_rng(seed)
    return [varied_scene(rng) for _ in range(n)]


def word_ids(caption: str) -> list[int]:
    index = {w: i for i, w in enumerate(VOCAB)}
    return [index[w] for w in caption.split()]


def box_cells(box, widen: float = PATCH / 2) -> np.ndarray:
    """Boolean GRID x GRID mask (row = y, column = x) of the patches whose centre lies in
    ``box`` widened by ``widen`` pixels on each side: the pointing game's hit region."""
    x0, y0, x1, y1 = box
    centres = np.arange(GRID) * PATCH + PATCH / 2
    cols = (centres >= x0 - widen) & (centres <= x1 + widen)
    rows = (centres >= y0 - widen) & (centres <= y1 + widen)
    return rows[:, None] & cols[None, :]


SAMPLE_SEED = 20_260_602  # the catalog's sample scenes: held out from training and evaluation
SAMPLES = (2, 1, 2, 2, 1, 2)  # objects per sample scene


def sample_scenes() -> list[Scene]:
    """The sample scenes shown on the shapes captioner's page, in order."""
    rng = np.random.default_rng(SAMPLE_SEED)
    return [make_scene(rng, count) for count in SAMPLES]


def sample_name(i: int, scene: Scene) -> str:
    return f"scene-{i + 1}.png"


def write_samples(folder) -> list:
    """Write the sample scenes as PNG files (and nothing else) into ``folder``."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, scene in enumerate(sample_scenes()):
        path = folder / sample_name(i, scene)
        scene.image.save(path, "PNG", optimize=False, compress_level=9)
        paths.append(path)
    return paths


if __name__ == "__main__":
    import sys

    for written in write_samples(sys.argv[1] if len(sys.argv) > 1 else "content/media/shapes"):
        print(written)
