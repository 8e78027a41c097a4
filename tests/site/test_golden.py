"""Fixture sites build to exactly their committed golden output (``make golden`` regenerates it)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.conftest import SITES, tree
from tests.golden import build_copy

GOLDEN_SITES = sorted(p.name for p in SITES.iterdir() if (p / "expected").is_dir())


@pytest.mark.parametrize("name", GOLDEN_SITES)
def test_site_matches_golden_output(name: str, tmp_path: Path) -> None:
    actual = tree(build_copy(SITES / name, tmp_path))
    expected = tree(SITES / name / "expected")
    assert sorted(actual) == sorted(expected), "files differ: run `make golden` if the change is intended"
    for path, data in expected.items():
        if actual[path] != data:
            diff = "\n".join(difflib.unified_diff(
                data.decode("utf-8", "replace").splitlines(), actual[path].decode("utf-8", "replace").splitlines(),
                f"expected/{path}", f"actual/{path}", lineterm="", n=2))
            pytest.fail(f"{path} differs from the golden output (run `make golden` if intended):\n{diff[:4000]}")
