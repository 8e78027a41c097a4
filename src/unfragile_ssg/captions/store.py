"""The caption store: results on disk, keyed by everything that determines them.

A key is the sha256 of the image's bytes, the model's identity, the generation settings, the
heatmap algorithm's version and the rendering version. Layout (relative to the store)::

    ab/<key>/result.json       caption, words, file list with each file's sha256, checksum
    ab/<key>/maps.bin          the heatmaps as data: one byte per patch, the whole caption's grid
                               first, then one per caption word (``heatmap.encode_maps``)
    ab/<key>/sheet.webp        every one of those heatmaps over a small copy of the photograph,
                               in the same order: what a page shows without JavaScript
    images/cd/<sha>.webp       the photograph as displayed (depends on its bytes only)
    images/cd/<sha>.json       its sha256 and size
    models.json                last identity of each local model folder (for CI without it)

``ab`` and ``cd`` are the first two characters of the key and the sha (256 shards), so that no
folder holds more than a few thousand entries at a million images. Stores written before the
shards (``<key>/``, ``images/<sha>.webp``) read as they are, and ``migrate`` moves each entry
into its shard with one rename (``unfragile captions`` and every build that may compute do it
first): a migration stopped half-way leaves every entry readable where it is.

Files are written to a temporary folder and renamed into place, and every read checks the
listed hashes, the record's own checksum and its shape, so a half-written, damaged or
misshapen entry reads as a miss and is recomputed; it is never published as it is. A record
names only files it lists (and so has checked), inside its own folder; its grids have a bounded
shape, and ``maps.bin`` holds exactly the grids the record counts. The store is plain files,
byte-stable, and can be committed beside the content.

Format 2 (heatmaps as data) replaced format 1 (one photo-sized WebP per word). The key holds
the format, so a format-1 result is a miss: ``unfragile captions --prune`` (or, for the shapes
captioner, ``python -m shapes.site``) makes the new results and removes the old ones.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from PIL import Image

from ..cachefile import process_running

STORE_FORMAT = 2
KEY = re.compile(r"^[0-9a-f]{32}$")
IMAGE_NAME = re.compile(r"^[0-9a-f]{32}\.(webp|json)$")
SHARD = re.compile(r"^[0-9a-f]{2}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\.(webp|bin)$")
MAX_RECORD_BYTES = 1 << 20
MAX_FILE_BYTES = 8 << 20
MAX_GRID_SIDE = 64  # patches per side (BLIP base: 24)
MAX_MAPS = 1025  # the whole caption and up to 1024 words
MAX_SHEET_SIDE = 4096
TEMPORARY = re.compile(r"^\.tmp-(\d+)-")  # a write under way, by the process with this id


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sharded(name: str) -> str:
    """``name`` under the folder of its first two characters: at a million results no folder
    holds more than a few thousand, in the store and in the published site alike."""
    return f"{name[:2]}/{name}"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


def make_key(image_sha: str, model_identity: str, decoding: dict, heatmap: str, render: str) -> str:
    material = {
        "format": STORE_FORMAT, "image": image_sha, "model": model_identity,
        "decoding": decoding, "heatmap": heatmap, "render": render,
    }
    return sha256(json.dumps(material, sort_keys=True).encode())[:32]


class CaptionStore:
    def __init__(self, root: Path):
        self.root = root
        self._unsharded: bool | None = None  # holds entries of the layout before shards (found once)

    # -- layout --------------------------------------------------------------------------

    def _folder(self, key: str) -> Path:
        """The folder of ``key``'s result: ``<key[:2]>/<key>``, or ``<key>`` in a store not migrated yet."""
        folder = self.root / sharded(key)
        if self._has_unsharded() and not folder.is_dir() and (self.root / key).is_dir():
            return self.root / key
        return folder

    def _image_file(self, image_sha: str, suffix: str) -> Path:
        name = f"{image_sha[:32]}{suffix}"
        path = self.root / "images" / sharded(name)
        if self._has_unsharded() and not path.is_file() and (self.root / "images" / name).is_file():
            return self.root / "images" / name
        return path

    def _has_unsharded(self) -> bool:
        if self._unsharded is None:
            self._unsharded = any(True for _ in self._unsharded_entries())
        return self._unsharded

    def _unsharded_entries(self) -> Iterator[tuple[Path, Path]]:
        """(where it is, where it goes) for each entry of the layout before shards."""
        for folder, wanted in ((self.root, lambda e: e.is_dir() and KEY.match(e.name)),
                               (self.root / "images", lambda e: e.is_file() and IMAGE_NAME.match(e.name))):
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if wanted(entry):
                            yield Path(entry.path), folder / sharded(entry.name)
            except (FileNotFoundError, NotADirectoryError):
                continue

    def migrate(self) -> int:
        """Move every entry of the layout before shards into its shard; return how many moved.

        One rename each: stopped at any point, each entry is in one place or the other, and reads.
        Where both layouts hold an entry, the sharded one (written by this version) stays.
        """
        moved = 0
        for old, new in list(self._unsharded_entries()):
            if new.exists():
                shutil.rmtree(old) if old.is_dir() else old.unlink()
            else:
                new.parent.mkdir(exist_ok=True)
                os.rename(old, new)
            moved += 1
        self._unsharded = False
        return moved

    # -- results -------------------------------------------------------------------------

    def read(self, key: str) -> dict | None:
        """The stored result for ``key``, or None when absent, truncated, damaged or misshapen."""
        folder = self._folder(key)
        try:
            record = json.loads(_read_bounded(folder / "result.json", MAX_RECORD_BYTES).decode("utf-8"))
            if not _well_formed(record) or record["format"] != STORE_FORMAT or record["key"] != key:
                return None
            if record.get("checksum") != record_checksum(record):
                return None
            sizes = {}
            for name, digest in record["files"].items():
                data = _read_bounded(folder / name, MAX_FILE_BYTES)
                if sha256(data) != digest:
                    return None
                sizes[name] = len(data)
            maps = record["maps"]
            if maps is not None:
                rows, cols = record["heatmap"]["grid"]
                if sizes[maps["file"]] != maps["count"] * rows * cols:
                    return None
            return record
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def write(self, key: str, record: dict, files: dict[str, bytes]) -> dict:
        record = dict(record, format=STORE_FORMAT, key=key, files={n: sha256(b) for n, b in sorted(files.items())})
        record["checksum"] = record_checksum(record)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_temporary_prefix(), dir=self.root))
        try:
            for name, data in files.items():
                (tmp / name).write_bytes(data)
            (tmp / "result.json").write_text(canonical_json(record), "utf-8")
            target = self.root / sharded(key)
            target.parent.mkdir(exist_ok=True)
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        if self._has_unsharded() and (self.root / key).is_dir():  # the damaged copy it replaces
            shutil.rmtree(self.root / key)
        return record

    def path(self, key: str, name: str) -> Path:
        return self._folder(key) / name

    # -- displayed photographs -----------------------------------------------------------

    def image_path(self, image_sha: str) -> Path:
        return self._image_file(image_sha, ".webp")

    def image_record_path(self, image_sha: str) -> Path:
        return self._image_file(image_sha, ".json")

    def read_image(self, image_sha: str) -> tuple[int, int] | None:
        """(width, height) of the stored displayed photograph, None when absent, damaged (its
        bytes are not those its record lists) or without a record."""
        try:
            record = json.loads(self.image_record_path(image_sha).read_text("utf-8"))
            width, height, digest = record["width"], record["height"], record["sha256"]
            if not (isinstance(width, int) and isinstance(height, int) and 0 < width and 0 < height):
                return None
            return (width, height) if sha256(self.image_path(image_sha).read_bytes()) == digest else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write_image(self, image_sha: str, data: bytes) -> None:
        """Store a displayed photograph, then its record (a photograph without one is a miss)."""
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
        record = {"sha256": sha256(data), "width": width, "height": height}
        for suffix, content in ((".webp", data), (".json", canonical_json(record).encode())):
            name = f"{image_sha[:32]}{suffix}"
            self._replace(self.root / "images" / sharded(name), content, self.root / "images")
            if self._has_unsharded():
                (self.root / "images" / name).unlink(missing_ok=True)

    @staticmethod
    def _replace(target: Path, data: bytes, temporaries: Path | None = None) -> None:
        """Write ``target`` through a temporary file in ``temporaries`` (default: beside it), where
        ``remove_stale_temporaries`` looks."""
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=_temporary_prefix(), dir=temporaries or target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)

    # -- model identities ----------------------------------------------------------------

    def models(self) -> dict[str, str]:
        try:
            data = json.loads((self.root / "models.json").read_text("utf-8"))
            return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def remember_model(self, spec: str, identity: str) -> None:
        known = self.models()
        if known.get(spec) == identity:
            return
        known[spec] = identity
        self._replace(self.root / "models.json", canonical_json(known).encode())

    def remove_stale_temporaries(self) -> int:
        """Remove what writes killed before their rename left (their process is gone)."""
        removed = 0
        for folder in (self.root, self.root / "images"):
            if not folder.is_dir():
                continue
            for child in folder.iterdir():
                match = TEMPORARY.match(child.name)
                if match and not process_running(int(match.group(1))):
                    shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
                    removed += 1
        return removed

    # -- pruning -------------------------------------------------------------------------

    def prune(self, keep_keys: set[str], keep_images: set[str]) -> int:
        """Remove results and photographs not in the keep sets; return how many went.

        Only touches what this store writes (key folders, ``images/*.webp`` and their records, leftover
        temporary files), never other files someone put in the folder.
        """
        removed = 0
        if not self.root.is_dir():
            return 0
        images = self.root / "images"
        keep = {f"{s[:32]}{suffix}" for s in keep_images for suffix in (".webp", ".json")}
        for folder in [self.root, *_shards(self.root)]:  # the shards, and the layout before them
            for child in _children(folder):
                if child.is_dir() and KEY.match(child.name) and child.name not in keep_keys:
                    shutil.rmtree(child.path)
                    removed += 1
                elif child.name.startswith(".tmp-"):
                    shutil.rmtree(child.path, ignore_errors=True) if child.is_dir() else os.unlink(child.path)
        for folder in [images, *_shards(images)]:
            for child in _children(folder):
                if child.is_file() and (IMAGE_NAME.match(child.name) and child.name not in keep or child.name.startswith(".tmp-")):
                    os.unlink(child.path)
                    removed += not child.name.endswith(".json")  # a photograph's record goes with it
        return removed


def _children(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _shards(folder: Path) -> list[Path]:
    return [Path(e.path) for e in _children(folder) if e.is_dir() and SHARD.match(e.name)]


def record_checksum(record: dict) -> str:
    """The sha256 of a record without its checksum, as stored."""
    return sha256(canonical_json({k: v for k, v in record.items() if k != "checksum"}).encode())


def _temporary_prefix() -> str:
    return f".tmp-{os.getpid()}-"


def _read_bounded(path: Path, limit: int) -> bytes:
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path.name} is over {limit} bytes")
    return data


def _count(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _well_formed(record: Any) -> bool:
    """A record holds what the pages read of it, names only files it lists, and its heatmaps
    have a bounded shape: every word's map is a distinct grid of ``maps.bin``, after the whole
    caption's (grid 0), and the composite image holds one tile per grid."""
    if not isinstance(record, dict) or not isinstance(record.get("caption"), str):
        return False
    files, words = record.get("files"), record.get("words")
    if not isinstance(files, dict) or not all(isinstance(n, str) and FILE_NAME.match(n) and isinstance(d, str) for n, d in files.items()):
        return False
    if not isinstance(words, list) or len(words) >= MAX_MAPS or not all(isinstance(w, dict) and isinstance(w.get("text"), str) for w in words):
        return False
    heatmap, maps, sheet = record.get("heatmap"), record.get("maps"), record.get("sheet")
    grid = heatmap.get("grid") if isinstance(heatmap, dict) else None
    if not (isinstance(grid, list) and len(grid) == 2 and all(_count(g, 1, MAX_GRID_SIDE) for g in grid)):
        return False
    indices = [w.get("map") for w in words if w.get("map") is not None]
    if maps is None:
        if indices or sheet is not None:
            return False
    else:
        if not (isinstance(maps, dict) and maps.get("file") in files and str(maps["file"]).endswith(".bin")
                and _count(maps.get("count"), 1, MAX_MAPS)):
            return False
        if sorted(indices) != list(range(1, maps["count"])) or not all(_count(i, 1, MAX_MAPS) for i in indices):
            return False
        if not (isinstance(sheet, dict) and sheet.get("file") in files and str(sheet["file"]).endswith(".webp")
                and _count(sheet.get("columns"), 1, maps["count"]) and _count(sheet.get("width"), 1, MAX_SHEET_SIDE)
                and _count(sheet.get("height"), 1, MAX_SHEET_SIDE)):
            return False
    model = record.get("model", {})
    return isinstance(model, dict) and isinstance(model.get("display", ""), str)
