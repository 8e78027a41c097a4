"""The scene generator: seeded, captions left to right, boxes where the shapes are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shapes import scenes as sc

ROOT = Path(__file__).resolve().parents[2]


def test_vocabulary_is_fifteen_words_with_blip_specials():
    assert len(sc.VOCAB) == 15
    assert len(set(sc.VOCAB)) == 15
    for token in ("[PAD]", "[SEP]", "[DEC]", "[UNK]", "[CLS]"):
        assert token in sc.VOCAB
    assert sc.VOCAB[0] == "[PAD]"


def test_same_seed_same_scenes_byte_for_byte():
    a, b = sc.scenes(7, 20), sc.scenes(7, 20)
    for x, y in zip(a, b):
        assert x.image.tobytes() == y.image.tobytes()
        assert x.things == y.things
    other = sc.scenes(8, 20)
    assert [s.image.tobytes() for s in other] != [s.image.tobytes() for s in a]


def test_scenes_are_well_formed():
    counts = {1: 0, 2: 0}
    for scene in sc.scenes(3, 300):
        assert scene.image.size == (sc.SIZE, sc.SIZE) and scene.image.mode == "RGB"
        things = scene.things
        counts[len(things)] += 1
        # Left to right, no overlap, distinct objects.
        assert [t.centre_x for t in things] == sorted(t.centre_x for t in things)
        if len(things) == 2:
            a, b = things
            assert not sc._overlap(a.box, b.box, sc.GAP)
            assert b.centre_x - a.centre_x >= sc.MIN_DX
            assert (a.colour, a.shape) != (b.colour, b.shape)
        for t in things:
            x0, y0, x1, y1 = t.box
            assert 0 <= x0 < x1 <= sc.SIZE and 0 <= y0 < y1 <= sc.SIZE
        assert scene.caption == " and ".join(f"a {t.colour} {t.shape}" for t in things)
        assert all(w in sc.WORDS for w in scene.caption.split())
    assert counts[1] > 100 and counts[2] > 100


def test_shape_pixels_lie_in_their_box_and_carry_its_colour():
    """The box is the ground truth of the pointing game: the drawn colour is inside it."""
    for scene in sc.scenes(11, 40):
        pixels = np.asarray(scene.image, dtype=np.int32)
        for t in scene.things:
            x0, y0, x1, y1 = t.box
            target = np.array(sc.COLOURS[t.colour])
            near = np.abs(pixels - target).max(axis=-1) <= sc.JITTER + 4 * sc.NOISE
            inside = near[y0:y1, x0:x1].sum()
            # A triangle fills about half of its box; the rest of the picture holds no such colour
            # except the other object, which has another (colour, shape).
            assert inside >= 0.3 * (x1 - x0) * (y1 - y0)


def test_left_to_right_follows_the_picture():
    rng = np.random.default_rng(5)
    for _ in range(50):
        scene = sc.make_scene(rng, 2)
        a, b = scene.things
        assert a.box[0] + a.box[2] < b.box[0] + b.box[2]


def test_box_cells_widen_by_half_a_patch():
    cells = sc.box_cells((16, 16, 32, 32))  # exactly patch (1, 1)
    assert cells.shape == (sc.GRID, sc.GRID)
    # Centres at 8, 24, 40: 8 and 40 are within 8 px of the box.
    assert cells.sum() == 9 and cells[1, 1] and cells[0, 0] and cells[2, 2] and not cells[3, 3]
    assert sc.box_cells((16, 16, 32, 32), widen=0).sum() == 1
    assert sc.box_cells((0, 0, 128, 128)).all()


def test_committed_sample_scenes_are_the_generated_ones():
    folder = ROOT / "content" / "media" / "shapes"
    for i, scene in enumerate(sc.sample_scenes()):
        with Image.open(folder / sc.sample_name(i, scene)) as image:
            assert image.mode == "RGB"
            assert image.tobytes() == scene.image.tobytes()


def test_held_out_seeds_differ_from_training():
    from shapes import evaluate, train

    assert len({train.SEED, train.MORE_SEED, evaluate.HELD_OUT_SEED, sc.SAMPLE_SEED}) == 4


def test_varied_scenes_hold_three_objects_and_objects_against_the_borders():
    scenes = sc.varied_scenes(9, 200)
    assert {len(s.things) for s in scenes} == {1, 2, 3}
    edges = [s for s in scenes if s.layout == "edges"]
    assert 25 <= len(edges) <= 75
    for scene in edges:
        for t in scene.things:
            x0, y0, x1, y1 = t.box
            assert x0 == 0 or y0 == 0 or x1 == sc.SIZE or y1 == sc.SIZE
    for scene in scenes:
        things = scene.things
        assert [t.centre_x for t in things] == sorted(t.centre_x for t in things)
        for i, a in enumerate(things):
            for b in things[i + 1 :]:
                assert not sc._overlap(a.box, b.box, sc.GAP) and b.centre_x - a.centre_x >= sc.MIN_DX
                assert (a.colour, a.shape) != (b.colour, b.shape)
        assert scene.caption == " and ".join(f"a {t.colour} {t.shape}" for t in things)
    with pytest.raises(ValueError, match="unknown layout"):
        sc.make_scene(np.random.default_rng(0), layout="corners")
