"""Cache files: data only (never code), used only when written by this code under the same
format, of the shape their reader declares, undamaged, and never half-written."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from unfragile_ssg import cachefile


@dataclass(frozen=True)
class Point:
    x: int
    label: str
    tags: tuple[str, ...] = ()


def test_reads_back_what_it_saved_under_the_same_version_and_type(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "c.msgpack"
    cachefile.save(path, cachefile.stamp(1), {"a": Point(1, "one", ("t",))})
    assert cachefile.load(path, cachefile.stamp(1), dict[str, Point]) == {"a": Point(1, "one", ("t",))}
    assert cachefile.load(path, cachefile.stamp(2), dict[str, Point]) is None  # another format
    assert cachefile.load(path, cachefile.stamp(1), dict[str, int]) is None  # another shape


def test_missing_damaged_or_foreign_files_read_as_absent(tmp_path: Path) -> None:
    assert cachefile.load(tmp_path / "none.msgpack", "v") is None
    (tmp_path / "bad.msgpack").write_bytes(b"\x80\x05garbage")
    assert cachefile.load(tmp_path / "bad.msgpack", "v") is None
    (tmp_path / "empty.msgpack").write_bytes(b"")
    assert cachefile.load(tmp_path / "empty.msgpack", "v") is None


def test_every_flipped_byte_reads_as_absent(tmp_path: Path) -> None:
    path = tmp_path / "c.msgpack"
    cachefile.save(path, "v1", {"a": [1, 2, 3], "b": "text"})
    good = path.read_bytes()
    for i in range(len(good)):
        path.write_bytes(good[:i] + bytes([good[i] ^ 0x01]) + good[i + 1 :])
        assert cachefile.load(path, "v1", dict[str, object]) is None, i
    for cut in (1, len(good) // 2, len(good) - 1):
        path.write_bytes(good[:cut])
        assert cachefile.load(path, "v1") is None, cut


def test_the_right_stamp_and_checksum_over_the_wrong_shape_reads_as_absent(tmp_path: Path) -> None:
    """A pull request can write a file with a valid frame: its payload is still checked."""
    path = tmp_path / "c.msgpack"
    path.write_bytes(cachefile.frame("v", cachefile.encode({"a": {"x": "not a number", "label": 3}})))
    assert cachefile.load(path, "v", dict[str, Point]) is None
    path.write_bytes(cachefile.frame("v", cachefile.encode([1, 2])))
    assert cachefile.load(path, "v", dict[str, Point]) is None


def test_a_pickle_in_its_place_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "c.msgpack"
    path.write_bytes(malicious_pickle(marker))
    assert cachefile.load(path, "v") is None and cachefile.load(path, "v", dict[str, Point]) is None
    assert not marker.exists()


def malicious_pickle(marker: Path) -> bytes:
    """A pickle that creates ``marker`` when loaded (made in another process, so that nothing
    here can run it by mistake)."""
    code = (
        "import os, pickle, sys\n"
        "class Evil:\n"
        "    def __reduce__(self):\n"
        f"        return (os.system, ('touch {marker}',))\n"
        "sys.stdout.buffer.write(pickle.dumps({'version': 'x', 'data': Evil()}))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout


def test_a_failed_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "c.msgpack"
    cachefile.save(path, "v", [1])
    with pytest.raises(TypeError):
        cachefile.save(path, "v", object())  # cannot be encoded: fails half-way
    assert cachefile.load(path, "v") == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["c.msgpack"]


def test_temporaries_of_killed_writes_and_old_pickles_are_removed(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    dead_pid = int(dead.stdout)
    (tmp_path / "links").mkdir()
    stale = [tmp_path / f".graph.msgpack.{dead_pid}.tmp", tmp_path / "links" / f".x.msgpack.{dead_pid}.tmp",
             tmp_path / "graph.pickle"]
    live = tmp_path / f".terms.msgpack.{os.getpid()}.tmp"  # a write under way (this process)
    other = [tmp_path / "notes.txt", tmp_path / ".tmp-unrelated", tmp_path / "graph.msgpack"]
    for path in [*stale, live, *other]:
        path.write_bytes(b"x")
    assert cachefile.remove_stale_temporaries(tmp_path) == len(stale)
    assert not any(p.exists() for p in stale) and live.exists() and all(p.exists() for p in other)
    assert cachefile.remove_stale_temporaries(tmp_path / "missing") == 0


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


def test_a_file_written_under_another_key_reads_as_absent(tmp_path: Path, monkeypatch) -> None:
    """What a pull request adds is checksummed with a key it cannot know: however well formed,
    it is not a file this machine wrote."""
    path = tmp_path / "c.msgpack"
    cachefile.save(path, "v", {"rank": 12.5})
    assert cachefile.load(path, "v") == {"rank": 12.5}
    try:
        monkeypatch.setenv(cachefile.KEY_VARIABLE, "another machine's secret")
        cachefile.cache_key.cache_clear()
        assert cachefile.load(path, "v") is None
        cachefile.save(path, "v", {"rank": 99.0})
        assert cachefile.load(path, "v") == {"rank": 99.0}
    finally:
        monkeypatch.undo()
        cachefile.cache_key.cache_clear()
    assert cachefile.load(path, "v") is None


def test_the_key_is_made_once_for_the_user_and_kept_private(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(cachefile.KEY_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    try:
        cachefile.cache_key.cache_clear()
        first = cachefile.cache_key()
        kept = tmp_path / "home-cache" / "unfragile-ssg" / "cache-key"
        assert kept.read_bytes() == first and len(first) == 32 and kept.stat().st_mode & 0o077 == 0
        cachefile.cache_key.cache_clear()
        assert cachefile.cache_key() == first  # another process finds the same key
        kept.write_bytes(b"short")  # damaged: replaced
        cachefile.cache_key.cache_clear()
        assert len(cachefile.cache_key()) == 32 and kept.read_bytes() == cachefile.cache_key() != first
        assert [p.name for p in kept.parent.iterdir()] == ["cache-key"]
    finally:
        monkeypatch.undo()
        cachefile.cache_key.cache_clear()
