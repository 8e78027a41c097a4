"""Theme and site assets, fingerprinted: ``style.css`` is served as ``assets/style.<hash>.css``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..config import Project
from ..errors import Problem
from ..paths import site_files

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


def collect_assets(project: Project) -> tuple[dict[str, Asset], list[Problem]]:
    """Theme assets, overridden by the site's files of the same name; and the site's files
    that cannot be published (too large, or a symbolic link out of the site)."""
    found: dict[str, Path] = {}
    theme, _ = site_files(THEME_ASSETS, THEME_ASSETS, str)
    site, problems = site_files(project.assets_dir, project.root, project.display)
    for folder, files in ((THEME_ASSETS, theme), (project.assets_dir, site)):
        for path in files:
            if not path.name.startswith("."):
                found[path.relative_to(folder).as_posix()] = path
    assets = {}
    for name, path in sorted(found.items()):
        size = path.stat().st_size
        if size > MAX_ASSET_BYTES:
            problems.append(Problem(project.display(path), 0, 0, f"the asset is {_mib(size)}; the limit is {_mib(MAX_ASSET_BYTES)}: "
                                                                 "make it smaller, or host it elsewhere and link to it"))
            continue
        output = f"assets/{name}"
        if path.suffix in FINGERPRINTED:
            stem = name[: -len(path.suffix)]
            output = f"assets/{stem}.{hashlib.sha256(path.read_bytes()).hexdigest()[:10]}{path.suffix}"
        assets[name] = Asset(name, path, output)
    return assets, problems


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MiB"
