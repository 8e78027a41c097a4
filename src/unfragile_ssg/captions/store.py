"""The caption store: results on disk, keyed by everything that determines them.

A key is the sha256 of the image's bytes, the model's identity, the generation settings, the
heatmap algorithm's version and the rendering version. Layout (relative to the store)::

    <key>/result.json          caption, words, file list with each file's sha256
    <key>/w00.webp ...         one heatmap overlay per caption word
    <key>/all.webp             the whole caption's heatmap
    images/<sha>.webp          the photograph as displayed (depends on its bytes only)
    models.json                last identity of each local model folder (for CI without it)

Files are written to a temporary folder and renamed into place, and every read checks the
listed hashes, so a half-written or damaged entry reads as a miss and is recomputed.
The store is plain files, byte-stable, and can be committed beside the content.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image

STORE_FORMAT = 1
KEY = re.compile(r"^[0-9a-f]{32}$")
IMAGE_NAME = re.compile(r"^[0-9a-f]{32}\.webp$")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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

    # -- results -------------------------------------------------------------------------

    def read(self, key: str) -> dict | None:
        """The stored result for ``key``, or None when absent, truncated or damaged."""
        folder = self.root / key
        try:
            record = json.loads((folder / "result.json").read_text("utf-8"))
            if record.get("format") != STORE_FORMAT or record.get("key") != key:
                return None
            files = record["files"]
            if not isinstance(files, dict):
                return None
            for name, digest in files.items():
                if "/" in name or name.startswith(".") or sha256((folder / name).read_bytes()) != digest:
                    return None
            return record
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def write(self, key: str, record: dict, files: dict[str, bytes]) -> dict:
        record = dict(record, format=STORE_FORMAT, key=key, files={n: sha256(b) for n, b in sorted(files.items())})
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))
        try:
            for name, data in files.items():
                (tmp / name).write_bytes(data)
            (tmp / "result.json").write_text(canonical_json(record), "utf-8")
            target = self.root / key
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return record

    def path(self, key: str, name: str) -> Path:
        return self.root / key / name

    # -- displayed photographs -----------------------------------------------------------

    def image_path(self, image_sha: str) -> Path:
        return self.root / "images" / f"{image_sha[:32]}.webp"

    def read_image(self, image_sha: str) -> tuple[int, int] | None:
        """(width, height) of the stored displayed photograph, None when absent or damaged."""
        try:
            with Image.open(self.image_path(image_sha)) as image:
                image.load()
                return image.size
        except Exception:
            return None

    def write_image(self, image_sha: str, data: bytes) -> None:
        target = self.image_path(image_sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, target)

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
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / ".models.json.tmp"
        tmp.write_text(canonical_json(known), "utf-8")
        os.replace(tmp, self.root / "models.json")

    # -- pruning -------------------------------------------------------------------------

    def prune(self, keep_keys: set[str], keep_images: set[str]) -> int:
        """Remove results and photographs not in the keep sets; return how many went.

        Only touches what this store writes (key folders, ``images/*.webp``, leftover
        temporary files), never other files someone put in the folder.
        """
        removed = 0
        if not self.root.is_dir():
            return 0
        for child in sorted(self.root.iterdir()):
            if child.is_dir() and KEY.match(child.name) and child.name not in keep_keys:
                shutil.rmtree(child)
                removed += 1
            elif child.name.startswith(".tmp-"):
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
        images = self.root / "images"
        if images.is_dir():
            keep = {f"{s[:32]}.webp" for s in keep_images}
            for child in sorted(images.iterdir()):
                if child.is_file() and (IMAGE_NAME.match(child.name) and child.name not in keep or child.name.startswith(".tmp-")):
                    child.unlink()
                    removed += 1
        return removed
