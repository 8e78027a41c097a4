"""Theme and site assets, fingerprinted: ``style.css`` is served as ``assets/style.<hash>.css``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

THEME_ASSETS = Path(__file__).resolve().parent.parent / "theme" / "assets"
FINGERPRINTED = (".css", ".js")
MAX_ASSET_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Asset:
    name: str  # as templates ask for it: "style.css", "icons/logo.svg"
    source: Path
    output: str  # path under the site root

    @property
    def digest(self) -> str:
        return self.output


def collect_assets(site_assets: Path) -> dict[str, Asset]:
    """Theme assets, overridden by the site's files of the same name."""
    found: dict[str, Path] = {}
    for folder in (THEME_ASSETS, site_assets):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    found[path.relative_to(folder).as_posix()] = path
    assets = {}
    for name, path in sorted(found.items()):
        data = path.read_bytes()
        if len(data) > MAX_ASSET_BYTES:
            raise ValueError(f"{path}: asset larger than {MAX_ASSET_BYTES} bytes")
        output = f"assets/{name}"
        if path.suffix in FINGERPRINTED:
            stem = name[: -len(path.suffix)]
            output = f"assets/{stem}.{hashlib.sha256(data).hexdigest()[:10]}{path.suffix}"
        assets[name] = Asset(name, path, output)
    return assets
