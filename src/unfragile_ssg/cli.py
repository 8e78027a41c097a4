"""The command line: a thin face over the stages (``unfragile build``, ``check``, ``serve`` ...)."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from .config import Project, load_project
from .errors import Problem, SiteError


def config_option(command):
    @click.option("--config", "config_path", default="unfragile.yaml", show_default=True, type=click.Path(dir_okay=False),
                  help="Settings file; content/, layouts/ and assets/ are found beside it.")
    @functools.wraps(command)
    def wrapper(*args, config_path: str, **kwargs):
        try:
            project = load_project(config_path)
            return command(project, *args, **kwargs)
        except SiteError as error:
            report(error.problems, kwargs.get("output_format", "text"))
            sys.exit(1)

    return wrapper


def report(problems: list[Problem], output_format: str = "text") -> None:
    problems = sorted(set(problems))  # by file, line and column, each once
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        if output_format == "github":
            click.echo(problem.github())
        else:
            click.echo(("warning: " if problem.severity != "error" else "") + str(problem), err=True)
    if errors and output_format != "github":
        click.echo(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found; nothing was written.", err=True)


def _with_base_url(project: Project, base_url: str | None) -> Project:
    if not base_url:
        return project
    settings = project.settings.model_validate(project.settings.model_dump() | {"base_url": base_url})
    return Project(settings=settings, config_path=project.config_path)


@click.group()
@click.version_option(package_name="unfragile-ssg")
def main() -> None:
    """Build a static catalog of AI artifacts from content/ and unfragile.yaml."""


@main.command()
@config_option
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: public/ beside the settings).")
@click.option("--strict", is_flag=True, help="Fail on warnings too (missing captions, broken links).")
@click.option("--jobs", "-j", type=int, default=0, help="Worker processes (default: one per core).")
@click.option("--base-url", help="Override base_url, e.g. to serve the site under a sub-path.")
@click.option("--no-captions", is_flag=True, help="Use only stored captions; never run the model.")
@click.option("--no-search", is_flag=True, help="Skip the search index.")
@click.option("--external", is_flag=True, help="Also check external links (needs network).")
@click.option("--verbose", "-v", is_flag=True, help="Print the time of each stage.")
def build(project: Project, output, strict, jobs, base_url, no_captions, no_search, external, verbose) -> None:
    """Build the site into the output folder, replacing it only if the build succeeds."""
    from .site.build import BuildOptions, build_site

    project = _with_base_url(project, base_url)
    options = BuildOptions(output=output, strict=strict, jobs=jobs, captions=not no_captions,
                           search=not no_search, external_links=external, progress=sys.stderr.isatty())
    result = build_site(project, options)
    report(result.warnings)
    if verbose:
        for name, seconds in result.timings:
            peak = result.peaks.get(name)
            click.echo(f"  {name:<30} {seconds * 1000:9.1f} ms" + (f"   peak {peak:6.0f} MB" if peak is not None else ""))
    click.echo(
        f"Built {result.pages} pages ({result.stats.rendered} rendered, {result.stats.reused} unchanged) "
        f"and {result.stats.static} files into {project.display(result.output)} in {result.seconds:.2f} s"
    )


@main.command()
@config_option
@click.option("--format", "output_format", type=click.Choice(["text", "github"]), default="text", show_default=True,
              help="'github' prints GitHub Actions annotations for pull requests.")
@click.option("--strict", is_flag=True, help="Treat warnings (broken links, missing captions) as errors.")
@click.option("--external", is_flag=True, help="Also check external links (needs network).")
@click.option("--jobs", "-j", type=int, default=0, help="Worker processes (default: one per core).")
@click.option("--verbose", "-v", is_flag=True, help="Print the time of each stage.")
def check(project: Project, output_format, strict, external, jobs, verbose) -> None:
    """Validate the content and check every link, writing no page (only the cache)."""
    from .site.build import BuildOptions, check_site

    result = check_site(project, BuildOptions(strict=strict, external_links=external, jobs=jobs))
    report(result.warnings, output_format)
    if verbose:
        _print_timings(result)
    if output_format == "text":
        click.echo(f"OK: {result.pages} pages checked ({result.stats.rendered} rendered, {result.stats.reused} "
                   f"unchanged since the cache), {len(result.warnings)} warning{'' if len(result.warnings) == 1 else 's'}, "
                   f"in {result.seconds:.2f} s.", err=True)


def _print_timings(result) -> None:
    for name, seconds in result.timings:
        peak = result.peaks.get(name)
        click.echo(f"  {name:<34} {seconds * 1000:9.1f} ms" + (f"   peak {peak:6.0f} MB" if peak is not None else ""), err=True)


@main.command()
@config_option
@click.argument("kind")
@click.argument("slug")
def new(project: Project, kind: str, slug: str) -> None:
    """Write a commented skeleton entry: unfragile new model my-model."""
    import re

    from .config import SLUG
    from .content.skeleton import skeleton

    kinds = project.settings.kinds
    folder = next((k for k, s in kinds.items() if kind in (k, s.label.lower(), k.rstrip("s"))), None)
    if folder is None:
        raise SiteError(Problem(project.display(project.config_path), 0, 0, f"unknown kind '{kind}': use one of {', '.join(kinds)}"))
    if not re.match(SLUG, slug):
        raise SiteError(Problem(slug, 0, 0, "a slug is lower-case letters, digits and dashes, e.g. my-model"))
    target = project.content_dir / folder / f"{slug}.md"
    if target.exists():
        raise SiteError(Problem(project.display(target), 0, 0, "already exists: choose another slug or edit that file"))
    task = next(iter(project.settings.tasks), "your-task")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(skeleton(kinds[folder].label, slug, task), "utf-8")
    click.echo(f"Wrote {project.display(target)}: fill it in, then run 'unfragile check'.")


@main.command()
@config_option
@click.option("--settings", is_flag=True, help="Describe unfragile.yaml instead of an entry's front matter.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file instead of stdout.")
def schema(project: Project, settings: bool, output: Path | None) -> None:
    """Print the JSON Schema of entries (for editor completion and checks)."""
    from .config import Settings
    from .content.schema import json_schema

    data = Settings.model_json_schema() if settings else json_schema(list(project.settings.tasks))
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    if output:
        output.write_text(text, "utf-8")
        click.echo(f"Wrote {output}")
    else:
        click.echo(text, nl=False)


@main.command()
@config_option
@click.option("--port", default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-watch", is_flag=True, help="Serve without rebuilding on changes.")
@click.option("--no-search", is_flag=True,
              help="Skip the search index: Pagefind indexes the whole site again on every change, which is most "
                   "of a rebuild's time in a big catalog (55 s at 10,000 entries).")
def serve(project: Project, port: int, host: str, output: Path | None, no_watch: bool, no_search: bool) -> None:
    """Build, serve on localhost, and rebuild when content, layouts or assets change."""
    from .site.serve import serve_site

    serve_site(project, host=host, port=port, output=output, watch=not no_watch, search=not no_search)


@main.command()
@config_option
@click.option("--prune", is_flag=True, help="Remove stored results that no entry uses.")
@click.option("--strict", is_flag=True, help="Fail when a result cannot be computed.")
@click.option("--model", help="Hub id or local folder of the captioning model.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]))
@click.option("--batch-size", type=int)
@click.option("--decoding", type=click.Choice(["greedy", "beam", "sample"]))
@click.option("--num-beams", type=int)
@click.option("--heatmap", type=click.Choice(["gradcam", "attention"]))
def captions(project: Project, prune: bool, strict: bool, **overrides) -> None:
    """Caption every sample image and compute its heatmaps, filling the caption store."""
    from .captions.command import run_captions_command

    overrides = {k: v for k, v in overrides.items() if v is not None}
    sys.exit(run_captions_command(project, prune=prune, strict=strict, overrides=overrides))


if __name__ == "__main__":  # pragma: no cover
    main()
