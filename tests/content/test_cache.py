"""The entry cache: shards written atomically, only when their entries change; damage is ignored."""

from __future__ import annotations

import os
import time
from pathlib import Path

from unfragile_ssg.content.cache import Codec, EntryCache
from unfragile_ssg.memo import Caches

TEXT = Codec(str, lambda value: value, lambda key, record: record)  # values that are their own records


def fill(folder: Path, values: dict[str, str]) -> EntryCache:
    cache = EntryCache(Caches(folder), TEXT)
    for name, value in values.items():
        key = EntryCache.key(f"content/models/{name}.md", value.encode())
        if cache.get(key) is None:
            cache.put(key, value)
    cache.save()
    return cache


def shard_times(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (folder / "entries").iterdir()}


def test_hits_after_a_save_and_only_changed_shards_rewritten(tmp_path: Path) -> None:
    values = {f"e{i}": f"value {i}" for i in range(200)}
    fill(tmp_path, values)
    written = shard_times(tmp_path)
    assert 10 < len(written) <= 64 and not any(name.endswith(".tmp") for name in written)

    again = EntryCache(Caches(tmp_path), TEXT)
    assert all(again.get(EntryCache.key(f"content/models/{n}.md", v.encode())) == v for n, v in values.items())
    again.save()
    assert shard_times(tmp_path) == written  # nothing changed: nothing written

    fill(tmp_path, values | {"e7": "changed"})
    after = shard_times(tmp_path)
    assert sum(after[name] != written[name] for name in written) == 1


def test_a_damaged_shard_costs_only_its_entries(tmp_path: Path) -> None:
    values = {f"e{i}": f"value {i}" for i in range(200)}
    fill(tmp_path, values)
    victim = sorted((tmp_path / "entries").iterdir())[0]
    victim.write_bytes(victim.read_bytes()[:20])
    cache = EntryCache(Caches(tmp_path), TEXT)
    hits = [n for n, v in values.items() if cache.get(EntryCache.key(f"content/models/{n}.md", v.encode())) == v]
    assert 0 < len(hits) < len(values)
    fill(tmp_path, values)  # the damaged shard is written again, whole
    repaired = EntryCache(Caches(tmp_path), TEXT)
    assert all(repaired.get(EntryCache.key(f"content/models/{n}.md", v.encode())) == v for n, v in values.items())


def _aged(path: Path, text: str, seconds_ago: int = 60) -> None:
    path.write_text(text, "utf-8")
    then = time.time_ns() - seconds_ago * 1_000_000_000
    os.utime(path, ns=(then, then))


def test_unchanged_files_are_known_by_their_stats_and_not_read(tmp_path: Path) -> None:
    entry = tmp_path / "a.md"
    _aged(entry, "first")
    cache = EntryCache(Caches(tmp_path / "cache"), TEXT)
    key, data = cache.file_key("content/models/a.md", entry)
    assert data == b"first" and key == EntryCache.key("content/models/a.md", b"first")
    cache.save()

    again = EntryCache(Caches(tmp_path / "cache"), TEXT)
    assert again.file_key("content/models/a.md", entry) == (key, None)  # not read

    _aged(entry, "other", seconds_ago=30)  # same size, another time: read again
    changed, data = again.file_key("content/models/a.md", entry)
    assert data == b"other" and changed == EntryCache.key("content/models/a.md", b"other")


def test_files_modified_in_the_last_seconds_are_always_read(tmp_path: Path) -> None:
    entry = tmp_path / "a.md"
    entry.write_text("fresh", "utf-8")
    cache = EntryCache(Caches(tmp_path / "cache"), TEXT)
    cache.file_key("content/models/a.md", entry)
    cache.save()
    # a second edit within the same timestamp tick could keep the time: never trusted
    assert EntryCache(Caches(tmp_path / "cache"), TEXT).file_key("content/models/a.md", entry)[1] == b"fresh"


def test_a_damaged_stats_file_costs_only_reading_the_files(tmp_path: Path) -> None:
    entry = tmp_path / "a.md"
    _aged(entry, "first")
    cache = EntryCache(Caches(tmp_path / "cache"), TEXT)
    cache.file_key("content/models/a.md", entry)
    cache.save()
    (tmp_path / "cache" / "entries" / "stats.msgpack").write_bytes(b"\x80\x05garbage")
    assert EntryCache(Caches(tmp_path / "cache"), TEXT).file_key("content/models/a.md", entry)[1] == b"first"
