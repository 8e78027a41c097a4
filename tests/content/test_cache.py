"""The entry cache: shards written atomically, only when their entries change; damage is ignored."""

from __future__ import annotations

from pathlib import Path

from unfragile_ssg.content.cache import EntryCache


def fill(folder: Path, values: dict[str, str]) -> EntryCache:
    cache = EntryCache(folder)
    for name, value in values.items():
        key = EntryCache.key(f"content/models/{name}.md", value.encode())
        if cache.get(key) is None:
            cache.put(key, value)
    cache.save()
    return cache


def shard_times(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_hits_after_a_save_and_only_changed_shards_rewritten(tmp_path: Path) -> None:
    values = {f"e{i}": f"value {i}" for i in range(200)}
    fill(tmp_path, values)
    written = shard_times(tmp_path)
    assert 10 < len(written) <= 64 and not any(name.endswith(".tmp") for name in written)

    again = EntryCache(tmp_path)
    assert all(again.get(EntryCache.key(f"content/models/{n}.md", v.encode())) == v for n, v in values.items())
    again.save()
    assert shard_times(tmp_path) == written  # nothing changed: nothing written

    fill(tmp_path, values | {"e7": "changed"})
    after = shard_times(tmp_path)
    assert sum(after[name] != written[name] for name in written) == 1


def test_a_damaged_shard_costs_only_its_entries(tmp_path: Path) -> None:
    values = {f"e{i}": f"value {i}" for i in range(200)}
    fill(tmp_path, values)
    victim = sorted(tmp_path.iterdir())[0]
    victim.write_bytes(victim.read_bytes()[:20])
    cache = EntryCache(tmp_path)
    hits = [n for n, v in values.items() if cache.get(EntryCache.key(f"content/models/{n}.md", v.encode())) == v]
    assert 0 < len(hits) < len(values)
    fill(tmp_path, values)  # the damaged shard is written again, whole
    repaired = EntryCache(tmp_path)
    assert all(repaired.get(EntryCache.key(f"content/models/{n}.md", v.encode())) == v for n, v in values.items())
