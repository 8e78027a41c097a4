"""Cache files: used only when written by this code under the same format, never half-written."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from unfragile_ssg import cachefile


def test_reads_back_what_it_saved_under_the_same_version(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "c.pickle"
    cachefile.save(path, cachefile.stamp(1), {"a": (1, 2)})
    assert cachefile.load(path, cachefile.stamp(1)) == {"a": (1, 2)}
    assert cachefile.load(path, cachefile.stamp(2)) is None  # another format


def test_missing_or_damaged_reads_as_absent(tmp_path: Path) -> None:
    assert cachefile.load(tmp_path / "none.pickle", "v") is None
    (tmp_path / "bad.pickle").write_bytes(b"\x80\x05garbage")
    assert cachefile.load(tmp_path / "bad.pickle", "v") is None


def test_a_failed_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "c.pickle"
    cachefile.save(path, "v", [1])
    with pytest.raises(TypeError):
        cachefile.save(path, "v", threading.Lock())  # cannot be pickled: fails half-way
    assert cachefile.load(path, "v") == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["c.pickle"]


def test_the_code_digest_follows_every_source_file_and_the_version(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    first = cachefile.source_digest(tmp_path, "1.0")
    assert cachefile.source_digest(tmp_path, "1.0") == first
    assert cachefile.source_digest(tmp_path, "1.1") != first
    (tmp_path / "sub" / "b.py").write_text("y = 3\n")
    assert cachefile.source_digest(tmp_path, "1.0") != first
    assert cachefile.stamp(1).endswith(cachefile.code_digest()) and cachefile.stamp(1) != cachefile.stamp(2)
