"""`captions_pending`: an entry declares that its samples await captions that cannot be made here.

While a declared sample has no stored caption, builds and checks neither load the model nor
warn (so `--strict` passes), the page says the captions are pending and how they are made;
`unfragile captions` still tries, and once it has stored them the captions show.
"""

from __future__ import annotations

from unfragile_ssg.captions.command import run_captions_command
from unfragile_ssg.captions.step import caption_entries
from unfragile_ssg.captions.testing import load_site

from .test_samples_page import render

REASON = "its weights come from the Hugging Face Hub, unreachable where this site is built"


def declare_pending(project) -> tuple:
    source = project.content_dir / "models" / "tiny-captioner.md"
    text = source.read_text("utf-8")
    source.write_text(text.replace("samples:", f"captions_pending: {REASON}\nsamples:", 1), "utf-8")
    return load_site(project.config_path)


def test_pending_samples_are_neither_computed_nor_warned_about(make_site):
    project, entries = declare_pending(make_site()[0])  # the tiny model could caption them
    for compute in (False, True):
        report = caption_entries(project, entries, strict=True, compute=compute)
        assert report.warnings == [] and report.computed == 0 and report.misses == 3
        views = report.samples["tiny-captioner"]
        assert all(v.awaiting_caption and v.pending == REASON and not v.captioned for v in views)
        assert all((v.image is not None) == compute for v in views)  # a build still shows the photographs
    assert not (project.caption_store / "models.json").exists()  # the model was never loaded


def test_without_the_declaration_a_missing_caption_still_warns(make_site):
    project, entries = make_site(model="./absent-model/")
    [warning] = caption_entries(project, entries).warnings
    assert "3 sample image(s) have no caption in the store" in warning.message


def test_the_page_says_captions_are_pending_and_how_to_make_them(make_site):
    project, entries = declare_pending(make_site(model="./absent-model/")[0])
    samples = caption_entries(project, entries).samples["tiny-captioner"]
    html = render(samples, entries[0])
    assert html.count("<strong>Captions pending</strong>: " + REASON) == 3
    assert html.count("made by <code>unfragile captions</code> on a machine that can load ./absent-model/") == 3
    assert "No caption: the captioning model was not available" not in html
    assert "once its captions are made" in html and "Captions written at build time" not in html
    assert html.count('class="sample-photo"') == 3  # the photographs still show


def test_captions_command_makes_pending_captions_and_then_they_show(make_site, capsys):
    project, entries = declare_pending(make_site()[0])
    assert run_captions_command(project, prune=False, strict=True) == 0
    err = capsys.readouterr().err
    assert "3/3 sample images captioned (0 from the store, 3 computed)" in err
    assert "note: content/models/tiny-captioner.md: every sample is captioned now; its `captions_pending` line can go" in err
    views = caption_entries(project, entries, strict=True, compute=False).samples["tiny-captioner"]
    assert all(v.captioned and not v.awaiting_caption for v in views)
    html = render(views, entries[0])
    assert "Captions pending" not in html and "Captions written at build time" in html


def test_captions_command_reports_pending_captions_it_cannot_make(make_site, capsys):
    project, _ = declare_pending(make_site(model="./absent-model/")[0])
    assert run_captions_command(project, prune=False, strict=False) == 1
    err = capsys.readouterr().err
    assert "3 sample image(s) have no caption in the store" in err and "0/3 sample images captioned" in err
    assert "captions_pending` line can go" not in err
