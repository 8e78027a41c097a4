"""The shapes captioner's samples in the example site's committed caption store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from shapes import scenes as sc
from shapes.site import MODEL_SPEC, SLUG, caption_samples
from unfragile_ssg.captions.store import CaptionStore

ROOT = Path(__file__).resolve().parents[2]


def test_committed_store_holds_every_shapes_sample():
    """A machine without torch shows real captions and heatmaps: every sample is a store hit."""
    project, report = caption_samples(ROOT / "unfragile.yaml", compute=False)
    views = report.samples[SLUG]
    assert len(views) == len(sc.SAMPLES)
    assert report.hits == len(views) and report.misses == 0 and report.computed == 0
    assert not report.warnings
    for view in views:
        assert view.captioned and view.image
        words = view.caption.split()
        assert words and all(w in sc.WORDS for w in words)
        assert [w.text for w in view.words] == words
        assert [w.map for w in view.words] == list(range(1, len(words) + 1)) and view.heatmaps.grid == (sc.GRID, sc.GRID)
        assert "shapes/model" in view.model
        for path in report.files.values():
            assert path.is_file()


def test_committed_captions_are_mostly_right():
    """Not a quality bar (that is the evaluation's job): a guard against a store made by the
    wrong model or from the wrong images."""
    project, report = caption_samples(ROOT / "unfragile.yaml", compute=False)
    truth = [s.caption for s in sc.sample_scenes()]
    said = [v.caption for v in report.samples[SLUG]]
    assert sum(a == b for a, b in zip(truth, said)) >= len(truth) - 2


@pytest.mark.slow
def test_recomputed_results_match_the_committed_store(tmp_path):
    """Caption the samples again with the model, in a copy of the site with an empty store,
    and compare every stored file byte for byte."""
    pytest.importorskip("torch")
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(ROOT / "unfragile.yaml", site / "unfragile.yaml")
    shutil.copytree(ROOT / "content", site / "content")
    shutil.copytree(ROOT / MODEL_SPEC, site / MODEL_SPEC)
    committed_project, committed = caption_samples(ROOT / "unfragile.yaml", compute=False)
    project, fresh = caption_samples(site / "unfragile.yaml", compute=True)
    assert fresh.computed == len(sc.SAMPLES) and not fresh.warnings
    old, new = committed.samples[SLUG], fresh.samples[SLUG]
    assert [v.key for v in new] == [v.key for v in old]
    for a, b in zip(old, new):
        assert b.caption == a.caption
        folder_old = CaptionStore(committed_project.caption_store).path(a.key, "result.json").parent
        folder_new = CaptionStore(project.caption_store).path(b.key, "result.json").parent
        names = sorted(p.name for p in folder_new.iterdir())
        assert names == sorted(p.name for p in folder_old.iterdir())
        for name in names:
            assert (folder_new / name).read_bytes() == (folder_old / name).read_bytes(), f"{a.key}/{name}"
    assert json.loads((project.caption_store / "models.json").read_text())[MODEL_SPEC] == \
        json.loads((committed_project.caption_store / "models.json").read_text())[MODEL_SPEC]


def test_entry_reports_the_measured_scores():
    """The model page's "How well it does" is the section shapes.evaluate writes from the
    committed shapes/scores.json: its table and every figure its sentences state."""
    from shapes import evaluate as ev

    scores = json.loads((ROOT / "shapes" / "scores.json").read_text())
    body = (ROOT / "content" / "models" / "shapes-captioner.md").read_text()
    assert ev.page_section(scores) in body
    default = scores["pointing"][scores["default_method"]]
    assert f"| {default['score']:.3f} | {default['first']['score']:.3f} | {default['after_and']['score']:.3f} |" in body
