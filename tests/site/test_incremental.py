"""An incremental rebuild gives the same bytes as a clean build, on a catalog big enough to
paginate its lists (the synthetic catalog of bench/, a few hundred entries)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from unfragile_ssg.config import load_project
from unfragile_ssg.memo import Caches
from unfragile_ssg.site import write
from unfragile_ssg.site.build import BuildOptions, build_site

from tests.conftest import tree

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from synthetic import make_catalog  # noqa: E402


def build(config: Path, output: Path, cache: Path, jobs: int = 1):
    options = BuildOptions(output=output, cache_dir=cache, search=False, captions=False, jobs=jobs)
    return build_site(load_project(config), options)


@pytest.mark.parametrize("jobs", [1, 2])
def test_edits_rerender_a_few_pages_and_match_a_clean_build(tmp_path: Path, monkeypatch, jobs: int) -> None:
    """Three rebuilds in a row: the second and third recycle the folder the one before
    replaced (with two jobs, listed by another process while the catalog is computed)."""
    monkeypatch.setattr(write, "BACKGROUND_LISTING", 0)
    config = make_catalog(tmp_path / "site", 160)
    models = tmp_path / "site" / "content" / "models"
    output, cache = tmp_path / "out", tmp_path / "cache"
    build(config, output, cache, jobs)
    (output / "stray.html").write_text("<p>put there by hand</p>", "utf-8")  # the next builds drop it
    first, second = sorted(models.iterdir())[:2]
    original = first.read_text("utf-8")
    edits = [
        # a rank that moves (its position shifts others on the ranked lists)
        (first, re.sub(r"downloads: \{value: \d+", "downloads: {value: 9999999", original)),
        (second, re.sub(r"^title: .*$", "title: A renamed entry", second.read_text("utf-8"), count=1, flags=re.M)),
        (first, original),  # and back: the recycled folder holds this page as two builds ago
    ]
    for step, (path, text) in enumerate(edits):
        path.write_text(text, "utf-8")
        result = build(config, output, cache, jobs)
        assert 0 < result.stats.rendered < result.pages / 3, step
        clean = build(config, tmp_path / f"clean{step}", tmp_path / f"clean-cache{step}")
        assert clean.stats.rendered == clean.pages
        assert tree(output) == tree(tmp_path / f"clean{step}"), step
    assert (tmp_path / ".out.previous").is_dir() and not (tmp_path / ".out.staging").exists()


def test_a_crash_mid_build_costs_a_full_copy_not_a_stale_page(tmp_path: Path, monkeypatch) -> None:
    from unfragile_ssg.site import build as build_module

    config = make_catalog(tmp_path / "site", 30)
    output, cache = tmp_path / "out", tmp_path / "cache"
    build(config, output, cache)
    build(config, output, cache)  # now there is a spare folder to recycle
    entry = sorted((tmp_path / "site" / "content" / "models").iterdir())[0]
    entry.write_text(re.sub(r"^title: .*$", "title: Crashed", entry.read_text("utf-8"), count=1, flags=re.M), "utf-8")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "render_pages", crash)
    with pytest.raises(KeyboardInterrupt):
        build(config, output, cache)
    monkeypatch.undo()
    build(config, output, cache)
    build(config, tmp_path / "clean", tmp_path / "clean-cache")
    assert tree(output) == tree(tmp_path / "clean")


def test_a_build_failing_after_rendering_leaves_the_published_files_alone(tmp_path: Path, monkeypatch) -> None:
    """Staging holds hard links to the published files: rendering must replace them, never
    write through them."""
    from unfragile_ssg.errors import SiteError
    from unfragile_ssg.site import build as build_module

    config = make_catalog(tmp_path / "site", 30)
    output, cache = tmp_path / "out", tmp_path / "cache"
    build(config, output, cache)
    build(config, output, cache)
    before = tree(output)
    for entry in (tmp_path / "site" / "content" / "models").iterdir():
        entry.write_text(entry.read_text("utf-8").replace("## Overview", "## Overview\n\nChanged."), "utf-8")

    def fail(post):
        raise SiteError("post-processing failed")

    monkeypatch.setattr(build_module, "post_process", fail)
    with pytest.raises(SiteError):
        build(config, output, cache)
    assert tree(output) == before


def test_the_first_rebuild_copies_the_output_while_the_catalog_is_computed(tmp_path: Path, monkeypatch) -> None:
    """No spare folder yet: another process copies the output during the first stages. A build that fails before it needs the copy leaves nothing of it behind."""
    from unfragile_ssg.errors import SiteError

    monkeypatch.setattr(write, "BACKGROUND_LISTING", 0)
    real_copy_tree = write.copy_tree
    config = make_catalog(tmp_path / "site", 40)
    output, cache = tmp_path / "out", tmp_path / "cache"
    build(config, output, cache, jobs=2)
    before = tree(output)
    entry = sorted((tmp_path / "site" / "content" / "models").iterdir())[0]
    original = entry.read_text("utf-8")
    entry.write_text(original.replace("pricing:", "pricing: nonsense\nnot_a_field:", 1), "utf-8")
    with pytest.raises(SiteError):
        build(config, output, cache, jobs=2)
    assert tree(output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out", "site"]  # no staging, no spare

    entry.write_text(re.sub(r"^title: .*$", "title: Copied meanwhile", original, count=1, flags=re.M), "utf-8")
    # a spare's manifest left behind by a spare deleted by hand does not count as a spare
    write.save_manifest(write.manifest_memo(Caches(cache), tmp_path / ".out.previous"), {"index.html": write.PageRecord("old", (1, 2, 3, 4))})
    started, copied_here = [], []
    real_background = write.Background
    monkeypatch.setattr(write, "Background", lambda function, *args: started.append(function) or real_background(function, *args))
    monkeypatch.setattr(write, "copy_tree", lambda *args: copied_here.append(args) or real_copy_tree(*args))
    result = build(config, output, cache, jobs=2)
    # the copy was made by another process (which the list here does not see), not by this one
    assert started == [write.copy_tree] and copied_here == []
    assert 0 < result.stats.rendered < result.pages / 2 < result.stats.reused
    build(config, tmp_path / "clean", tmp_path / "clean-cache")
    assert tree(output) == tree(tmp_path / "clean")


def test_copy_tree_copies_every_file_never_as_a_link_and_lists_them(tmp_path: Path) -> None:
    source = tmp_path / "out"
    (source / "models" / "x").mkdir(parents=True)
    (source / "empty").mkdir()
    (source / "index.html").write_text("home", "utf-8")
    (source / "models" / "x" / "index.html").write_text("x", "utf-8")
    made = write.copy_tree(source, tmp_path / "copy")
    assert sorted(made) == sorted(write.list_files(tmp_path / "copy")) == ["index.html", "models/x/index.html"]
    assert (tmp_path / "copy" / "empty").is_dir()
    copied = tmp_path / "copy" / "models" / "x" / "index.html"
    assert copied.read_text("utf-8") == "x" and copied.stat().st_ino != (source / "models" / "x" / "index.html").stat().st_ino
    assert made["models/x/index.html"] == (write.signature(source / "models/x/index.html"), write.signature(copied))


def test_copy_tree_copies_where_the_kernel_cannot(tmp_path: Path, monkeypatch) -> None:
    source = tmp_path / "out"
    source.mkdir()
    (source / "big.html").write_bytes(bytes(range(256)) * 9000)  # more than one chunk

    def unsupported(*args):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(write.os, "copy_file_range", unsupported)
    write.copy_tree(source, tmp_path / "copy")
    assert (tmp_path / "copy" / "big.html").read_bytes() == (source / "big.html").read_bytes()
