"""``unfragile init``: a new site that builds on the first try.

The files of the new site ship in ``scaffold/site/`` inside the package. Names that a package
should not hold as such are mapped when written (``gitignore`` -> ``.gitignore``,
``github/`` -> ``.github/``); the sample image is drawn here, so that it needs no binary file
and is the same bytes on every machine.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__

SITE_FILES = Path(__file__).resolve().parent / "site"
RENAMED = {"gitignore": ".gitignore", "github": ".github"}
SAMPLE_IMAGE = "content/media/example-shapes.png"
# Folders a new site may already hold: `git init` or a fresh clone of an empty repository.
IGNORED_WHEN_EMPTY = {".git"}


class InitError(Exception):
    """The target cannot take a new site; the message is one line saying why and what to do."""


@dataclass
class InitResult:
    root: Path
    written: list[str] = field(default_factory=list)  # paths relative to root
    kept: list[str] = field(default_factory=list)  # already there (with --force): left as they were


def scaffold_files() -> dict[str, bytes]:
    """Every file of a new site, by its path in the site, with its bytes."""
    files: dict[str, bytes] = {}
    for path in sorted(SITE_FILES.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        parts = path.relative_to(SITE_FILES).parts
        relative = "/".join((RENAMED.get(parts[0], parts[0]),) + parts[1:])
        files[relative] = path.read_bytes().replace(b"@VERSION@", __version__.encode())
    files[SAMPLE_IMAGE] = sample_image()
    return dict(sorted(files.items()))


def sample_image() -> bytes:
    """A small drawing (a red circle beside a blue square on a light ground) as PNG: a sample
    image the captioning step can run on, free of any licence question."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (192, 128), (244, 241, 234))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 100, 191, 127), fill=(206, 199, 184))
    draw.ellipse((24, 36, 88, 100), fill=(200, 40, 40))
    draw.rectangle((112, 44, 168, 100), fill=(40, 80, 190))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def init_site(target: Path, *, force: bool = False) -> InitResult:
    """Write a new site into ``target`` (created if missing).

    A folder that holds anything (but ``.git``) is refused unless ``force``; with ``force`` the
    files already there are kept, never overwritten.
    """
    shown = display(target)
    if target.exists() and not target.is_dir():
        raise InitError(f"{shown} is a file: give the folder the new site should be created in")
    present = sorted(p.name for p in target.iterdir() if p.name not in IGNORED_WHEN_EMPTY) if target.is_dir() else []
    if present and not force:
        listed = ", ".join(present[:3]) + (f" and {len(present) - 3} more" if len(present) > 3 else "")
        raise InitError(f"{shown} is not empty (it holds {listed}): choose an empty or new folder, "
                        "or pass --force to add the new site's files beside them (existing files are kept)")
    result = InitResult(root=target)
    for relative, data in scaffold_files().items():
        path = target / relative
        if path.exists() or path.is_symlink():
            result.kept.append(relative)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as out:  # never through a link or over a file that appeared meanwhile
            out.write(data)
        result.written.append(relative)
    return result


def display(path: Path) -> str:
    """The folder as the user named it, e.g. 'site/'."""
    return path.as_posix().rstrip("/") + "/"
