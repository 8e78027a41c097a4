"""An incremental rebuild gives the same bytes as a clean build, on a catalog big enough to
paginate its lists (the synthetic catalog of bench/, a few hundred entries)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from unfragile_ssg.config import load_project
from unfragile_ssg.site.build import BuildOptions, build_site

from tests.conftest import tree

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from synthetic import make_catalog  # noqa: E402


def build(config: Path, output: Path, cache: Path):
    options = BuildOptions(output=output, cache_dir=cache, search=False, captions=False, jobs=1)
    return build_site(load_project(config), options)


def test_edits_rerender_a_few_pages_and_match_a_clean_build(tmp_path: Path) -> None:
    config = make_catalog(tmp_path / "site", 240)
    models = tmp_path / "site" / "content" / "models"
    output, cache = tmp_path / "out", tmp_path / "cache"
    build(config, output, cache)

    first, second = sorted(models.iterdir())[:2]
    # a rank that moves (its position shifts others on the ranked lists), and a new title
    first.write_text(re.sub(r"downloads: \{value: \d+", "downloads: {value: 9999999", first.read_text("utf-8")), "utf-8")
    second.write_text(re.sub(r"^title: .*$", "title: A renamed entry", second.read_text("utf-8"), count=1, flags=re.M), "utf-8")
    result = build(config, output, cache)
    assert 0 < result.stats.rendered < result.pages / 3

    clean = build(config, tmp_path / "clean", tmp_path / "clean-cache")
    assert clean.stats.rendered == clean.pages
    assert tree(output) == tree(tmp_path / "clean")
