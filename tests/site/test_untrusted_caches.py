"""Caches and the output folder as a pull request or a careless hand may leave them: a cache
file never runs code, damage to any of them costs time and never a traceback or a wrong
byte, and nothing edited in ``public/`` or ``.public.previous`` reaches the next output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unfragile_ssg import cachefile
from unfragile_ssg.catalog.graph import GraphState
from unfragile_ssg.config import load_project
from unfragile_ssg.memo import Caches
from unfragile_ssg.site.build import BuildOptions, build_site
from unfragile_ssg.site.write import list_files

from tests.conftest import tree
from tests.test_cachefile import malicious_pickle

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from synthetic import make_catalog  # noqa: E402

# the names the pickled caches had: a pull request may still add them
LEGACY_NAMES = ["terms.pickle", "graph.pickle", "scores.pickle", "entries/00.pickle", "entries/stats.pickle",
                "links/0000000000000000.pickle", "builds/0000000000000000.json", "caption-model-hashes.json"]


def build(config: Path, output: Path, cache: Path):
    options = BuildOptions(output=output, cache_dir=cache, search=False, captions=False, jobs=1)
    return build_site(load_project(config), options)


@pytest.fixture
def site(tmp_path: Path):
    """A small catalog built twice (so that there is a spare folder), its entry files old enough
    to be known by their stats, and a clean build of it to compare with."""
    config = make_catalog(tmp_path / "site", 30)
    then = time.time_ns() - 60 * 1_000_000_000
    for path in (tmp_path / "site" / "content").rglob("*.md"):
        os.utime(path, ns=(then, then))
    output, cache = tmp_path / "out", tmp_path / "cache"
    build(config, output, cache)
    build(config, output, cache)
    build(config, tmp_path / "clean", tmp_path / "clean-cache")
    return config, output, cache, tree(tmp_path / "clean")


def cache_files(cache: Path) -> list[str]:
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file())


def test_every_kind_of_cache_file_is_written(site) -> None:
    _config, _output, cache, _clean = site
    names = cache_files(cache)
    for pattern in [r"entries/\d\d\.msgpack", r"entries/stats\.msgpack", r"terms\.msgpack", r"graph\.msgpack",
                    r"scores\.msgpack", r"links/[0-9a-f]{16}\.msgpack", r"builds/[0-9a-f]{16}\.msgpack"]:
        assert any(re.fullmatch(pattern, name) for name in names), pattern
    assert all(name.endswith(".msgpack") for name in names)


def test_a_pickle_in_place_of_any_cache_file_never_runs(site, tmp_path: Path) -> None:
    config, output, cache, clean = site
    marker = tmp_path / "pwned"
    evil = malicious_pickle(marker)
    names = cache_files(cache) + LEGACY_NAMES
    for name in names:
        (cache / name).parent.mkdir(parents=True, exist_ok=True)
        (cache / name).write_bytes(evil)
    result = build(config, output, cache)
    assert not marker.exists()
    assert tree(output) == clean
    assert result.stats.rendered == result.pages  # nothing trusted: every page rendered again
    assert not any((cache / name).exists() for name in LEGACY_NAMES)  # the old format's files are gone
    assert Caches(cache).memo("graph", GraphState).get() is not None  # written anew


def test_one_flipped_byte_in_any_cache_file_costs_time_not_bytes(site) -> None:
    config, output, cache, clean = site
    names = cache_files(cache)
    # one of each kind (every shard would be one build each, alike)
    kinds = {re.sub(r"\d\d\.msgpack$|[0-9a-f]{16}\.msgpack$", "*", name): name for name in names}
    for name in sorted(kinds.values()):
        path = cache / name
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x04
        path.write_bytes(bytes(data))
        build(config, output, cache)
        assert tree(output) == clean, name
    build(config, output, cache)  # and the caches written anew are good
    assert tree(output) == clean


def test_a_cache_of_the_right_stamp_and_the_wrong_shape_is_a_miss(site) -> None:
    """Any file can be written by a pull request with a valid frame: what it holds is checked."""
    config, output, cache, clean = site
    def forge(name: str, data: object) -> None:  # a memo's frame and stamp, any key, a value of another shape
        memo = Caches(cache).memo(name.removesuffix(".msgpack"), object)
        (cache / name).write_bytes(cachefile.frame(memo._version(), cachefile.encode(("", cachefile.Raw(cachefile.encode(data))))))

    [links] = [n for n in cache_files(cache) if n.startswith("links/")]
    forge(links, {"pages": {"index.html": [1, 2]}, "files": 3, "verdicts": []})
    forge("graph.msgpack", ["a key", b"\x93\x01\x02"])
    forge("scores.msgpack", {"x": {"scores": "high"}})
    forge("terms.msgpack", {"digests": 3})
    for name in cache_files(cache):
        if name.startswith("builds/"):
            forge(name, {"index.html": ["key", "not a signature"]})
    build(config, output, cache)
    assert tree(output) == clean


def test_entries_from_a_forged_cache_are_checked_against_the_schema(site) -> None:
    """A shard with a valid frame whose entries the schema refuses (a script URL for a title
    would do) is a miss: the entries are parsed from their files again."""
    config, output, cache, clean = site
    from unfragile_ssg.content.cache import EntryCache

    entries = EntryCache(Caches(cache))
    shard = next(p for p in sorted((cache / "entries").iterdir()) if p.name != "stats.msgpack")
    memo = Caches(cache).memo(f"entries/{shard.stem}", dict)
    stored = memo.get(entries.version)
    assert stored
    forged = {key: [*record[:7], b'{"title": "", "pricing": "priceless"}', *record[8:]] for key, record in stored.items()}
    memo.put(forged, entries.version)
    assert not set(forged) & set(EntryCache(Caches(cache)).items)
    build(config, output, cache)
    assert tree(output) == clean
    assert set(forged) <= set(EntryCache(Caches(cache)).items)  # the shard was written again


def test_temporary_files_of_killed_cache_writes_are_removed(site) -> None:
    config, output, cache, clean = site
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True).stdout)
    left = [cache / f".graph.msgpack.{dead}.tmp", cache / "entries" / f".07.msgpack.{dead}.tmp",
            cache / "builds" / f".x.msgpack.{dead}.tmp"]
    for path in left:
        path.write_bytes(b"half a file")
    (cache / "notes.txt").write_text("not ours\n", "utf-8")
    build(config, output, cache)
    assert not any(path.exists() for path in left)
    assert (cache / "notes.txt").exists() and tree(output) == clean


def shared_files(a: Path, b: Path) -> list[str]:
    inodes = {os.stat(a / name).st_ino: name for name in list_files(a)}
    return sorted(inodes[os.stat(b / name).st_ino] for name in list_files(b) if os.stat(b / name).st_ino in inodes)


def hand_edit(path: Path, keep_time: bool = False) -> None:
    """Edit a file in place, as an editor would (the same inode), and maybe keep its time."""
    status = path.stat()
    with open(path, "r+b") as handle:
        data = handle.read()
        handle.seek(0)
        handle.write(data.replace(b"<body", b"<body data-edited", 1) if b"<body" in data else b"X" + data[1:])
    if keep_time:
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


@pytest.mark.parametrize("keep_time", [False, True])
def test_edits_in_the_output_and_the_spare_never_come_back(site, tmp_path: Path, keep_time: bool) -> None:
    config, output, cache, clean = site
    spare = tmp_path / ".out.previous"
    assert spare.is_dir() and shared_files(output, spare) == []
    pages = sorted(name for name in clean if name.endswith(".html"))
    for name in pages[:3]:
        hand_edit(output / name, keep_time)
    for name in pages[3:6]:
        hand_edit(spare / name, keep_time)
    for _ in range(3):  # the edited output becomes the spare, which becomes the staging folder
        build(config, output, cache)
        assert tree(output) == clean
        assert shared_files(output, spare) == []


def test_an_edit_in_the_output_before_the_first_rebuild_never_comes_back(tmp_path: Path) -> None:
    """No spare yet: the rebuild copies the output, and only what it copied unchanged counts."""
    config = make_catalog(tmp_path / "site", 30)
    output, cache = tmp_path / "out", tmp_path / "cache"
    build(config, output, cache)
    clean = tree(output)
    page = sorted(name for name in clean if name.endswith(".html"))[0]
    hand_edit(output / page)
    result = build(config, output, cache)
    assert tree(output) == clean and result.stats.rendered == 1
    assert shared_files(output, tmp_path / ".out.previous") == []
