"""Templates are code: layouts/ render in Jinja's sandbox unless the settings say `templates: trusted`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from unfragile_ssg.config import load_project
from unfragile_ssg.errors import SiteError
from unfragile_ssg.pages.urls import Linker
from unfragile_ssg.render.engine import make_environment, render_template

HINT = "templates run in a sandbox: remove it, or set 'templates: trusted' in unfragile.yaml if you trust every template in layouts/"
ESCAPES = {
    "subclasses": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "access to attribute '__class__' of 'str' object is unsafe"),
    "globals": ("{{ cycler.__init__.__globals__.os }}", "access to attribute '__init__' of 'type' object is unsafe"),
}


def build(config: Path, output: Path):
    return run_cli("build", "--config", str(config), "--output", str(output), "--no-search")


def write_home(site: Path, expression: str) -> None:
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts/home.html").write_text("<!doctype html>\n<title>{{ title }}</title>\n<p>" + expression + "</p>\n", "utf-8")


@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_escaping_the_sandbox_is_a_site_error_at_the_template_line(case: str, basic_site: Path, tmp_path: Path) -> None:
    expression, reason = ESCAPES[case]
    write_home(basic_site.parent, expression)
    result = build(basic_site, tmp_path / "public")
    assert (result.exit_code, result.stderr) == (
        1, f"layouts/home.html:3:0: unsafe template code ({reason}): {HINT} (rendering index.html)\n"
           "1 problem found; nothing was written.\n")
    assert not (tmp_path / "public").exists()


@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_a_trusted_site_runs_the_same_template(case: str, basic_site: Path, tmp_path: Path) -> None:
    write_home(basic_site.parent, ESCAPES[case][0])
    with basic_site.open("a", encoding="utf-8") as settings:
        settings.write("templates: trusted\n")
    result = build(basic_site, tmp_path / "public")
    assert result.exit_code == 0, result.stderr
    home = (tmp_path / "public/index.html").read_text("utf-8")
    assert ("&lt;class &#39;" in home) if case == "subclasses" else ("&lt;module &#39;os&#39;" in home)


def test_ci_can_keep_the_sandbox_whatever_the_settings_say(basic_site: Path, tmp_path: Path) -> None:
    """A pull request can add 'templates: trusted' as easily as a template: --sandbox overrides it."""
    expression, reason = ESCAPES["globals"]
    write_home(basic_site.parent, expression)
    with basic_site.open("a", encoding="utf-8") as settings:
        settings.write("templates: trusted\n")
    for command in ("check", "build"):
        output = ["--output", str(tmp_path / "public"), "--no-search"] if command == "build" else []
        result = run_cli(command, "--config", str(basic_site), "--sandbox", *output)
        assert (result.exit_code, result.stderr) == (
            1, f"layouts/home.html:3:0: unsafe template code ({reason}): {HINT} (rendering index.html)\n"
               "1 problem found; nothing was written.\n"), command


def render(site: Path, source: str, **context) -> str:
    project = load_project(site)
    (project.layouts_dir).mkdir(exist_ok=True)
    (project.layouts_dir / "probe.html").write_text(source, "utf-8")
    env = make_environment(project, Linker("/", project.settings.base_url), {})
    return render_template(env, "probe.html", context, project)


def test_paths_in_the_context_cannot_touch_files(basic_site: Path, tmp_path: Path) -> None:
    """Entries hold their sample images' paths; a path's methods read and write files."""
    victim = tmp_path / "victim.txt"
    victim.write_text("kept", "utf-8")
    with pytest.raises(SiteError) as caught:
        render(basic_site, "{{ path.write_text('gone') }}", path=victim)
    assert str(caught.value) == f"layouts/probe.html:1:0: unsafe template code (access to attribute 'write_text' of 'PosixPath' object is unsafe): {HINT}"
    assert victim.read_text("utf-8") == "kept"


@pytest.mark.parametrize("source, reason", [
    ("{{ 'x' * 10**9 }}", "repetition would make 1,000,000,000 items, more than 1,000,000"),
    ("{{ [1] * 2000000 }}", "repetition would make 2,000,000 items, more than 1,000,000"),
    ("{{ 9 ** 99999999 }}", "exponent 99999999 is larger than 1000"),
])
def test_one_line_memory_exhaustion_is_refused(basic_site: Path, source: str, reason: str) -> None:
    with pytest.raises(SiteError) as caught:
        render(basic_site, source)
    assert str(caught.value) == f"layouts/probe.html:1:0: unsafe template code ({reason}): {HINT}"


def test_ranges_keep_the_sandbox_limit(basic_site: Path) -> None:
    with pytest.raises(SiteError) as caught:
        render(basic_site, "{{ range(10**7) | list | length }}")
    assert str(caught.value) == ("layouts/probe.html:1:0: template error: OverflowError: Range too big. "
                                 "The sandbox blocks ranges larger than MAX_RANGE (100000).")


def test_ordinary_arithmetic_still_works(basic_site: Path) -> None:
    assert render(basic_site, "{{ 'ab' * 3 }} {{ 2 ** 10 }} {{ [0] * 3 }}") == "ababab 1024 [0, 0, 0]"


def test_a_syntax_error_names_the_template_line(basic_site: Path, tmp_path: Path) -> None:
    (basic_site.parent / "layouts").mkdir()
    (basic_site.parent / "layouts/compare.html").write_text("{% extends 'base.html' %}\n{% block content %}\n{% if %}\n{% endblock %}\n", "utf-8")
    result = build(basic_site, tmp_path / "public")
    assert (result.exit_code, result.stderr) == (
        1, "layouts/compare.html:3:0: template error: TemplateSyntaxError: Expected an expression, got 'end of statement block' "
           "(rendering compare/alpha-captioner-vs-beta-prompts/index.html)\n"
           "1 problem found; nothing was written.\n")


@pytest.mark.parametrize("source, reason", [
    ("{{ '{0.__class__.__mro__}'.format('') }}", "access to attribute '__class__' of 'str' object is unsafe"),
    ("{{ ''|attr('__class__') }}", "access to attribute '__class__' of 'str' object is unsafe"),
    ("{{ '%s' % ''.__class__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
    ("{{ self._TemplateReference__context }}", "access to attribute '_TemplateReference__context' of 'TemplateReference' object is unsafe"),
    ("{{ url.__globals__ }}", "access to attribute '__globals__' of 'method' object is unsafe"),
    ("{{ lipsum.__globals__ }}", "access to attribute '__globals__' of 'function' object is unsafe"),
    ("{{ site.__class__ }}", "access to attribute '__class__' of 'Settings' object is unsafe"),
])
def test_other_ways_out_are_closed(basic_site: Path, source: str, reason: str) -> None:
    with pytest.raises(SiteError) as caught:
        render(basic_site, source)
    assert str(caught.value) == f"layouts/probe.html:1:0: unsafe template code ({reason}): {HINT}"


def test_an_include_cannot_climb_out_of_the_template_folders(basic_site: Path) -> None:
    with pytest.raises(SiteError) as caught:
        render(basic_site, "{% include '../../../../etc/passwd' %}")
    assert str(caught.value) == "layouts/probe.html:1:0: template error: TemplateNotFound: ../../../../etc/passwd"


def test_answers_remembered_per_type_stay_each_types_own(basic_site: Path, tmp_path: Path) -> None:
    """The sandbox remembers whether an attribute is safe by the object's type and the name: a
    name allowed on one type (a record's ``mro``, its ``name``) stays refused on another (a
    class's ``mro``, a path's ``name``) in the same environment, in either order."""
    from types import SimpleNamespace

    project = load_project(basic_site)
    project.layouts_dir.mkdir(exist_ok=True)
    for name in ("mro", "name"):
        (project.layouts_dir / f"{name}.html").write_text(f"{{{{ thing.{name} }}}}", "utf-8")
    env = make_environment(project, Linker("/", project.settings.base_url), {})
    record = SimpleNamespace(mro="a field", name="a name")
    for _ in range(2):
        for name, unsafe, kind in (("mro", SimpleNamespace, "type"), ("name", tmp_path, "PosixPath")):
            assert render_template(env, f"{name}.html", {"thing": record}, project) == f"a {'field' if name == 'mro' else 'name'}"
            with pytest.raises(SiteError) as caught:
                render_template(env, f"{name}.html", {"thing": unsafe}, project)
            reason = f"access to attribute '{name}' of '{kind}' object is unsafe"
            assert str(caught.value) == f"layouts/{name}.html:1:0: unsafe template code ({reason}): {HINT}"


def test_a_template_no_page_uses_may_be_broken(basic_site: Path, tmp_path: Path) -> None:
    """Templates are compiled before the workers start; one that does not compile fails only
    the pages that use it, as when each was compiled on first use."""
    (basic_site.parent / "layouts").mkdir()
    (basic_site.parent / "layouts/draft.html").write_text("{% if %}\n", "utf-8")
    result = build(basic_site, tmp_path / "public")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "public/index.html").is_file()


def test_a_dicts_items_and_methods_read_as_jinja_reads_them(basic_site: Path) -> None:
    """The sandbox reads a plain dict's key without trying an attribute first: a method of
    dict still wins over a key of its name, and a missing key is the same error as before."""
    data = {"title": "T", "keys": "shadowed", "nested": {"n": 1}}
    assert render(basic_site, "{{ d.title }} {{ d.nested.n }} {{ d.keys() | list | length }} {{ d['keys'] }}", d=data) == "T 1 3 shadowed"
    with pytest.raises(SiteError) as caught:
        render(basic_site, "{{ d.missing }}", d=data)
    assert str(caught.value) == "layouts/probe.html:1:0: template error: UndefinedError: 'dict object' has no attribute 'missing'"
