"""The caption store's sharded layout, and stores written before it: read as they are, migrated
entry by entry, pruned in either layout."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from unfragile_ssg.captions import store as stores
from unfragile_ssg.captions.step import caption_entries
from unfragile_ssg.captions.store import CaptionStore, sha256


def _webp(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 1), colour).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()


def _fill(store: CaptionStore, count: int) -> list[tuple[str, str]]:
    """``count`` results and photographs; their (image sha, key)."""
    made = []
    for i in range(count):
        image_sha = sha256(f"image {i}".encode())
        key = sha256(f"key {i}".encode())[:32]
        store.write(key, {"caption": f"caption {i}", "words": [{"text": "w"}], "heatmap": {"grid": [1, 1]}, "maps": None},
                    {"all.webp": _webp((i, 0, 0))})
        store.write_image(image_sha, _webp((0, i, 0)))
        made.append((image_sha, key))
    return made


def _unshard(root: Path) -> None:
    """Turn a store into the layout before shards (``<key>/``, ``images/<sha>.webp``)."""
    for shard in [p for p in root.iterdir() if p.is_dir() and stores.SHARD.match(p.name)]:
        for folder in shard.iterdir():
            folder.rename(root / folder.name)
        shard.rmdir()
    images = root / "images"
    for shard in [p for p in images.iterdir() if p.is_dir()]:
        for file in shard.iterdir():
            file.rename(images / file.name)
        shard.rmdir()


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _flat(files: dict[str, bytes]) -> dict[str, bytes]:
    """The same files, named as in the layout before shards."""
    out = {}
    for name, data in files.items():
        parts = name.split("/")
        if parts[0] == "images" and len(parts) == 3:
            parts = ["images", parts[2]]
        elif len(parts) == 3 and stores.SHARD.match(parts[0]):
            parts = parts[1:]
        out["/".join(parts)] = data
    return out


def test_results_and_photographs_go_into_shards(tmp_path):
    store = CaptionStore(tmp_path / "captions")
    [(image_sha, key)] = _fill(store, 1)
    files = _files(store.root)
    assert sorted(files) == sorted([f"{key[:2]}/{key}/all.webp", f"{key[:2]}/{key}/result.json",
                                    f"images/{image_sha[:2]}/{image_sha[:32]}.json", f"images/{image_sha[:2]}/{image_sha[:32]}.webp"])
    assert store.path(key, "all.webp") == store.root / key[:2] / key / "all.webp"
    assert store.image_path(image_sha) == store.root / "images" / image_sha[:2] / f"{image_sha[:32]}.webp"
    assert store.read(key)["caption"] == "caption 0" and store.read_image(image_sha) == (2, 1)


def test_a_store_before_shards_reads_as_it_is_and_migrates(tmp_path):
    store = CaptionStore(tmp_path / "captions")
    made = _fill(store, 5)
    sharded = _files(store.root)
    _unshard(store.root)
    assert _files(store.root) == _flat(sharded)

    old = CaptionStore(store.root)
    records = {key: old.read(key) for _, key in made}
    assert all(records.values()) and all(old.read_image(s) == (2, 1) for s, _ in made)
    assert old.path(made[0][1], "all.webp") == store.root / made[0][1] / "all.webp"  # published from where it is
    assert _files(store.root) == _flat(sharded)  # reading moves nothing

    assert old.migrate() == 15  # 5 results, 5 photographs and their 5 records
    assert _files(store.root) == sharded
    assert {key: old.read(key) for _, key in made} == records
    assert CaptionStore(store.root).migrate() == 0


def test_a_migration_stopped_half_way_leaves_every_entry_readable(tmp_path, monkeypatch):
    store = CaptionStore(tmp_path / "captions")
    made = _fill(store, 4)
    sharded = _files(store.root)
    _unshard(store.root)
    rename = os.rename
    calls = []

    def stop_after_five(old, new):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(old)
        rename(old, new)

    monkeypatch.setattr(os, "rename", stop_after_five)
    with pytest.raises(KeyboardInterrupt):
        CaptionStore(store.root).migrate()
    monkeypatch.setattr(os, "rename", rename)
    half = CaptionStore(store.root)
    assert all(half.read(key) for _, key in made) and all(half.read_image(s) == (2, 1) for s, _ in made)
    assert half.migrate() == 12 - 5
    assert _files(store.root) == sharded


def test_a_rewrite_replaces_the_copy_of_the_layout_before_shards(tmp_path):
    store = CaptionStore(tmp_path / "captions")
    [(image_sha, key)] = _fill(store, 1)
    _unshard(store.root)
    old = CaptionStore(store.root)
    old.write(key, {"caption": "again", "words": [], "heatmap": {"grid": [1, 1]}, "maps": None}, {})
    old.write_image(image_sha, _webp((9, 9, 9)))
    assert not (store.root / key).exists() and not list((store.root / "images").glob("*.webp"))
    assert old.read(key)["caption"] == "again" and old.read_image(image_sha) == (2, 1)


@pytest.mark.parametrize("layout", ["sharded", "before shards"])
def test_prune_walks_either_layout(tmp_path, layout):
    store = CaptionStore(tmp_path / "captions")
    made = _fill(store, 6)
    (store.root / "README.md").write_text("kept\n")
    if layout != "sharded":
        _unshard(store.root)
    keep = made[:2]
    assert CaptionStore(store.root).prune({k for _, k in keep}, {s for s, _ in keep}) == 8  # 4 results, 4 photographs
    left = CaptionStore(store.root)
    assert all(left.read(k) for _, k in keep) and not any(left.read(k) for _, k in made[2:])
    assert all(left.read_image(s) for s, _ in keep) and not any(left.read_image(s) for s, _ in made[2:])
    assert (store.root / "README.md").read_text() == "kept\n"


def test_unfragile_captions_migrates_an_old_store_and_builds_read_it_unmoved(make_site, store_files):
    project, entries = make_site()
    assert caption_entries(project, entries).computed == 3
    sharded = store_files(project)
    _unshard(project.caption_store)
    flat = store_files(project)

    checked = caption_entries(project, entries, compute=False)  # `check` and `build --no-captions`
    assert (checked.hits, checked.warnings) == (3, [])
    assert store_files(project) == flat
    assert all(path.is_file() for path in checked.files.values())

    built = caption_entries(project, entries)  # a build may compute, and leaves the committed layout alone
    assert (built.hits, built.computed, built.migrated) == (3, 0, 0)
    assert store_files(project) == flat

    again = caption_entries(project, entries, migrate=True)  # `unfragile captions`
    assert (again.hits, again.computed, again.migrated, again.warnings) == (3, 0, 9, [])
    assert store_files(project) == sharded
