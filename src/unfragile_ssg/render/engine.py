"""The Jinja2 environment: the site's ``layouts/`` first, then the built-in theme.

Templates are code, and ``layouts/`` arrives by pull request like the content: by default
they run in Jinja's sandbox (no underscore attributes, so no way from ``''.__class__`` to
``os``; no file system), and a site whose owner trusts every template says so with
``templates: trusted`` in unfragile.yaml.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from pathlib import Path, PurePath
from typing import Any

from markupsafe import Markup
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateSyntaxError, select_autoescape
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from ..catalog.model import SUBSCORES
from ..config import Project
from ..errors import Problem, SiteError
from ..pages.urls import Linker
from ..paths import outside_site, site_files
from .markdown import markdown_for_agents, render_inline
from .assets import Asset
from .comparison import CELL_TEXTS, ROWS

THEME_LAYOUTS = Path(__file__).resolve().parent.parent / "theme" / "layouts"
MAX_REPEATED = 1_000_000  # items or characters a template's '*' may make
MAX_EXPONENT = 1_000
TRUST_HINT = "templates run in a sandbox: remove it, or set 'templates: trusted' in unfragile.yaml if you trust every template in layouts/"


def template_folders(project: Project) -> list[Path]:
    return [folder for folder in (project.layouts_dir, THEME_LAYOUTS) if folder.is_dir()]


def layout_problems(project: Project) -> list[Problem]:
    """Symbolic links in ``layouts/`` (or the folder itself) that lead outside the site."""
    return site_files(project.layouts_dir, project.root, project.display)[1]


_DICT_ATTRIBUTES = frozenset(dir(dict))


class SiteSandbox(SandboxedEnvironment):
    """Jinja's sandbox, without the file system (entries hold the paths of their sample
    images, and a path's methods read and write files) and without the one-line ways to
    exhaust memory (``'x' * 10**12``)."""

    intercepted_binops = frozenset({"*", "**"})
    MAX_REMEMBERED = 10_000

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._safe: dict[tuple[type, str], bool] = {}

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            # what Jinja's rule comes to for a plain dict (most of a page's data): no attribute
            # of that name, so the item; without raising and catching an AttributeError first
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # The answer depends on the object's type and the name only (Jinja's rule tests the
        # name and isinstance of the object, never its value): remembered per pair, since a
        # page asks it thousands of times for the same few (a tenth of a page's render time).
        key = (type(obj), attr)
        safe = self._safe.get(key)
        if safe is None:
            safe = not isinstance(obj, PurePath) and super().is_safe_attribute(obj, attr, value)
            if len(self._safe) < self.MAX_REMEMBERED:
                self._safe[key] = safe
        return safe

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is larger than {MAX_EXPONENT}")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(times, int) and len(sequence) * times > MAX_REPEATED:
                    raise SecurityError(f"repetition would make {len(sequence) * times:,} items, more than {MAX_REPEATED:,}")
        return super().call_binop(context, operator, left, right)


class ConfinedLoader(FileSystemLoader):
    """A folder of templates whose symbolic links must stay inside the site."""

    def __init__(self, folder: Path, project: Project | None):
        super().__init__(str(folder))
        self.folder = folder
        self.project = project

    def get_source(self, environment, template):
        if self.project is not None:
            problem = outside_site(self.folder.joinpath(*split_template_path(template)), self.project.root, self.project.display)
            if problem is not None:
                raise SiteError(problem)
        return super().get_source(environment, template)


def make_environment(project: Project, linker: Linker, assets: dict[str, Asset]) -> Environment:
    problems = layout_problems(project)
    if problems:
        raise SiteError(problems)
    loaders = [ConfinedLoader(folder, project if folder == project.layouts_dir else None) for folder in template_folders(project)]
    kind = Environment if project.settings.templates == "trusted" else SiteSandbox
    env = kind(
        loader=ChoiceLoader(loaders),
        # markdown twins and llms.txt are markdown, escaped for it by the filters below
        autoescape=select_autoescape(disabled_extensions=("md", "txt"), default=True, default_for_string=True),
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
    # the comparison table's rows and words, shared with the compare page's script (render.comparison)
    env.globals.update(comparison_rows=ROWS, cell_texts=CELL_TEXTS, comparison_subscores=len(SUBSCORES))
    env.filters["score"] = format_score
    env.filters["inline"] = lambda text: Markup(render_inline(text, linker.base_path))
    env.filters["thousands"] = lambda n: f"{n:,}"
    env.filters["md"] = markdown_text
    env.filters["cell"] = markdown_cell
    env.filters["md_inline"] = markdown_inline
    env.filters["md_url"] = twin_url
    env.filters["md_body"] = lambda text: markdown_for_agents(text, linker.base_path)
    return env


def compile_templates(env: Environment) -> None:
    """Every template compiled now, in this process: forked workers then share them instead of
    each compiling the ones it uses (0.2 s of CPU a worker, most of a small rebuild's render).
    A template that does not compile is left to fail, with its line, where a page uses it."""
    for name in env.list_templates():
        try:
            env.get_template(name)
        except Exception:  # noqa: BLE001 - reported by render_template when a page needs it
            pass


def render_template(env: Environment, name: str, context: dict[str, Any], project: Project) -> str:
    """``name`` rendered with ``context``; a failure is a SiteError at the template's line."""
    try:
        return env.get_template(name).render(context)
    except SiteError:
        raise
    except Exception as error:  # a template can raise anything; none of it is a traceback for the user
        raise SiteError(template_problem(error, name, project)) from None


def template_problem(error: Exception, name: str, project: Project) -> Problem:
    """Where in which template ``error`` happened (the innermost template line), and the fix."""
    where, line = None, 0
    if isinstance(error, TemplateSyntaxError) and error.filename:
        where, line = Path(error.filename), error.lineno or 0
    else:
        folders = template_folders(project)
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            path = Path(frame.filename)
            if any(path.is_relative_to(folder) for folder in folders):
                where, line = path, frame.lineno or 0
                break
    shown = _template_display(where, project) if where is not None else f"template {name}"
    if isinstance(error, SecurityError):
        return Problem(shown, line, 0, f"unsafe template code ({str(error).rstrip('.')}): {TRUST_HINT}")
    reason = " ".join(str(error).split())[:500]
    return Problem(shown, line, 0, f"template error: {type(error).__name__}: {reason}")


def _template_display(path: Path, project: Project) -> str:
    if path.is_relative_to(THEME_LAYOUTS):
        return f"(theme) {path.relative_to(THEME_LAYOUTS).as_posix()}"
    return project.display(path)


_MARKDOWN_SIGNIFICANT = re.compile(r"([\\`*_\[\]<>|&~])")
_LINE_START = re.compile(r"^(\s*\d+)([.)])|^(\s*)([#+=-])")  # a heading, a list item, a setext line


def markdown_text(text: object) -> str:
    """Plain text (a title, a name) as markdown that reads back as the same text: on one line,
    with every character markdown would act on escaped."""
    flat = _MARKDOWN_SIGNIFICANT.sub(r"\\\1", " ".join(str(text).split()))
    return _LINE_START.sub(lambda m: (m.group(1) or m.group(3)) + "\\" + (m.group(2) or m.group(4)), flat)


def markdown_cell(text: object) -> str:
    """Plain text for a cell of a markdown table (never at the start of a line): escaped, and
    never empty, which reads as missing."""
    return _MARKDOWN_SIGNIFICANT.sub(r"\\\1", " ".join(str(text).split())) or "–"


def markdown_inline(text: object) -> str:
    """A field that is markdown already (a description): kept as written, on one line, with raw
    HTML shown as text as the HTML page shows it (the pages render markdown with HTML off)."""
    return " ".join(str(text).split()).replace("<", "&lt;")


def twin_url(url: str) -> str:
    """A page's link, to its markdown twin where it has one (``/models/x/`` → ``/models/x/index.md``)."""
    return url + "index.md" if url.endswith("/") else url


def format_score(value: float | None) -> str:
    return "insufficient data" if value is None else f"{value:.0f}"


def folder_digest(folders: list[Path]) -> str:
    """A fingerprint of every file in the folders: changes when any template changes."""
    hasher = hashlib.blake2b(digest_size=16)
    for folder in folders:
        for path in site_files(folder, folder.parent, str)[0]:
            hasher.update(path.relative_to(folder).as_posix().encode())
            hasher.update(path.read_bytes())
    return hasher.hexdigest()
