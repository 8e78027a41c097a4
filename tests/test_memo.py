"""Memos: a value comes back only under the key it was stored with, from memory or from its
file; it is written only when it changed; a damaged or misshapen file is a miss."""

from __future__ import annotations

from pathlib import Path

from unfragile_ssg import cachefile
from unfragile_ssg.memo import CacheLayout, Caches


def test_a_value_comes_back_only_under_its_key(tmp_path: Path) -> None:
    memo = Caches(tmp_path).memo("graph", dict[str, int])
    assert memo.get("k1") is None
    memo.put({"a": 1}, "k1")
    again = Caches(tmp_path).memo("graph", dict[str, int])  # another process: from the file
    assert again.get("k1") == {"a": 1} and again.get("k2") is None and again.get() == {"a": 1}
    assert again.get_any() == ("k1", {"a": 1})
    assert Caches(tmp_path).memo("graph", dict[str, str]).get("k1") is None  # another shape
    assert again.recall("k2", lambda: {"b": 2}) == {"b": 2}
    assert Caches(tmp_path).memo("graph", dict[str, int]).get("k2") == {"b": 2}


def test_memory_spares_reading_and_unchanged_values_are_not_written(tmp_path: Path) -> None:
    caches = Caches(tmp_path)
    memo = caches.memo("scores", list[int])
    memo.put([1, 2], "k")
    path = tmp_path / "scores.msgpack"
    written = path.stat().st_mtime_ns, path.stat().st_ino
    path.write_bytes(b"damaged meanwhile")
    assert caches.memo("scores", list[int]).get("k") == [1, 2]  # from memory, the file unread
    assert Caches(tmp_path).memo("scores", list[int]).get("k") is None  # damaged: a miss
    fresh = Caches(tmp_path)
    fresh.memo("scores", list[int]).put([1, 2], "k")
    kept = path.stat().st_mtime_ns, path.stat().st_ino
    assert kept != written
    fresh.memo("scores", list[int]).put([1, 2], "k")  # the same bytes: not written again
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == kept
    fresh.memo("scores", list[int]).put([1, 3], "k")
    assert Caches(tmp_path).memo("scores", list[int]).get("k") == [1, 3]


def test_a_memo_not_kept_is_read_from_its_file_each_time(tmp_path: Path) -> None:
    caches = Caches(tmp_path)
    memo = caches.memo("entries/00", dict[str, str], keep=False)
    memo.put({"x": "y"}, "schema")
    (tmp_path / "entries" / "00.msgpack").unlink()
    assert memo.get("schema") is None


def test_the_layout_names_every_file_and_stamps_carry_the_name(tmp_path: Path) -> None:
    caches = Caches(tmp_path)
    assert caches.layout.file("links/abc") == tmp_path / "links" / "abc.msgpack"
    name = CacheLayout.of_folder("builds", tmp_path / "public")
    assert name.startswith("builds/") and len(name) == len("builds/") + 16
    caches.memo("terms", int).put(5)
    # a file moved to another memo's name is not that memo's value
    (tmp_path / "scores.msgpack").write_bytes((tmp_path / "terms.msgpack").read_bytes())
    assert Caches(tmp_path).memo("scores", int).get() is None
    assert cachefile.load(tmp_path / "terms.msgpack", "another stamp") is None
