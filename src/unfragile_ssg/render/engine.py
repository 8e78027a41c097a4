"""The Jinja2 environment: the site's ``layouts/`` first, then the built-in theme."""

from __future__ import annotations

import hashlib
from pathlib import Path

from markupsafe import Markup
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..config import Project
from ..pages.urls import Linker
from .markdown import render_inline
from .assets import Asset

THEME_LAYOUTS = Path(__file__).resolve().parent.parent / "theme" / "layouts"


def template_folders(project: Project) -> list[Path]:
    return [folder for folder in (project.layouts_dir, THEME_LAYOUTS) if folder.is_dir()]


def make_environment(project: Project, linker: Linker, assets: dict[str, Asset]) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(folder)) for folder in template_folders(project)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
        cache_size=-1,
    )

    def asset(name: str) -> str:
        try:
            return linker.url(assets[name].output)
        except KeyError:
            raise KeyError(f"asset '{name}' not found in the theme or the site's assets/") from None

    env.globals.update(url=linker.url, absolute_url=linker.absolute, asset=asset, site=project.settings)
    env.filters["score"] = format_score
    env.filters["inline"] = lambda text: Markup(render_inline(text, linker.base_path))
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env


def format_score(value: float | None) -> str:
    return "insufficient data" if value is None else f"{value:.0f}"


def folder_digest(folders: list[Path]) -> str:
    """A fingerprint of every file in the folders: changes when any template changes."""
    hasher = hashlib.blake2b(digest_size=16)
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                hasher.update(path.relative_to(folder).as_posix().encode())
                hasher.update(path.read_bytes())
    return hasher.hexdigest()
