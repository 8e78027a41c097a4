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


def report(problems: list[Problem], output_format: str = "text", summary: bool = True) -> None:
    problems = sorted(set(problems))  # by file, line and column, each once
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        if output_format == "github":
            click.echo(problem.github())
        else:
            click.echo(("warning: " if problem.severity != "error" else "") + str(problem), err=True)
    if errors and output_format != "github" and summary:
        click.echo(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found; nothing was written.", err=True)


def _sandboxed(project: Project, sandbox: bool) -> Project:
    """The project with its templates in the sandbox whatever unfragile.yaml says: a pull request
    can change the settings as easily as the templates."""
    if not sandbox or project.settings.templates == "sandboxed":
        return project
    return Project(settings=project.settings.model_copy(update={"templates": "sandboxed"}), config_path=project.config_path)


SANDBOX_HELP = "Render layouts/ in the sandbox even if unfragile.yaml says 'templates: trusted' (for CI on pull requests)."


def _with_base_url(project: Project, base_url: str | None) -> Project:
    if not base_url:
        return project
    settings = project.settings.model_validate(project.settings.model_dump() | {"base_url": base_url})
    return Project(settings=settings, config_path=project.config_path)


@click.group()
@click.version_option(package_name="unfragile-ssg", prog_name="unfragile")
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
@click.option("--sandbox", is_flag=True, help=SANDBOX_HELP)
def build(project: Project, output, strict, jobs, base_url, no_captions, no_search, external, verbose, sandbox) -> None:
    """Build the site into the output folder, replacing it only if the build succeeds."""
    from .site.build import BuildOptions, build_site

    project = _sandboxed(_with_base_url(project, base_url), sandbox)
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
@click.option("--sandbox", is_flag=True, help=SANDBOX_HELP)
@click.option("--jobs", "-j", type=int, default=0, help="Worker processes (default: one per core).")
@click.option("--verbose", "-v", is_flag=True, help="Print the time of each stage.")
def check(project: Project, output_format, strict, external, sandbox, jobs, verbose) -> None:
    """Validate the content and check every link, writing no page (only the cache)."""
    from .site.build import BuildOptions, check_site

    project = _sandboxed(project, sandbox)
    result = check_site(project, BuildOptions(strict=strict, external_links=external, jobs=jobs))
    report(result.warnings, output_format)
    if verbose:
        _print_timings(result)
    if output_format == "text":
        click.echo(f"OK: {result.pages} pages checked ({result.stats.rendered} HTML pages rendered, {result.stats.reused} "
                   f"unchanged since the cache, {result.without_links} without links to check), "
                   f"{len(result.warnings)} warning{'' if len(result.warnings) == 1 else 's'}, "
                   f"in {result.seconds:.2f} s.", err=True)


def _print_timings(result) -> None:
    for name, seconds in result.timings:
        peak = result.peaks.get(name)
        click.echo(f"  {name:<34} {seconds * 1000:9.1f} ms" + (f"   peak {peak:6.0f} MB" if peak is not None else ""), err=True)


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=True, path_type=Path))
@click.option("--force", is_flag=True, help="Write into a folder that is not empty; files already there are kept.")
def init(directory: Path, force: bool) -> None:
    """Start a new site in DIRECTORY (default: here): settings, one example entry per kind, a sample
    image, .gitignore, the GitHub workflows and a guide for editors."""
    from .scaffold import InitError, display, init_site

    try:
        result = init_site(directory, force=force)
    except InitError as error:
        raise click.ClickException(str(error)) from None
    kept = f"; kept {len(result.kept)} file(s) already there: {', '.join(result.kept)}" if result.kept else ""
    click.echo(f"Created a new site in {display(directory)} ({len(result.written)} files{kept}).")
    step = "" if directory.resolve() == Path.cwd().resolve() else f"cd {display(directory)} && "
    click.echo(f"Next: {step}unfragile build (or unfragile serve). For the site's editors: EDITING.md.")


@main.command()
@config_option
@click.argument("kind")
@click.argument("slug")
def new(project: Project, kind: str, slug: str) -> None:
    """Write a commented skeleton entry: unfragile new model my-model."""
    from .config import is_slug, slug_length_error
    from .content.skeleton import skeleton

    kinds = project.settings.kinds
    folder = next((k for k, s in kinds.items() if kind in (k, s.label.lower(), k.rstrip("s"))), None)
    if folder is None:
        raise SiteError(Problem(project.display(project.config_path), 0, 0, f"unknown kind '{kind}': use one of {', '.join(kinds)}"))
    if slug_length_error(slug):
        raise SiteError(Problem(slug[:20] + "...", 0, 0, f"the slug {slug_length_error(slug)}: choose a shorter one"))
    if not is_slug(slug):
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
@click.option("--passport", is_flag=True, help="Describe the passports the build writes (api/v1/passport/<slug>.json).")
@click.option("--catalog", is_flag=True, help="Describe the catalog index the build writes (api/v1/catalog.json).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file instead of stdout.")
def schema(project: Project, settings: bool, passport: bool, catalog: bool, output: Path | None) -> None:
    """Print the JSON Schema of entries (for editor completion and checks), of the settings, or of the API's files."""
    from .config import Settings
    from .content.schema import json_schema

    if settings + passport + catalog > 1:
        raise click.UsageError("choose one of --settings, --passport and --catalog")
    if passport or catalog:
        from .render.api import json_schema as api_schema

        data = api_schema("passport" if passport else "catalog", project.settings.base_url)
    else:
        data = Settings.model_json_schema() if settings else json_schema(list(project.settings.tasks))
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    if output:
        output.write_text(text, "utf-8")
        click.echo(f"Wrote {output}")
    else:
        click.echo(text, nl=False)


@main.command()
@config_option
@click.option("--port", default=8000, show_default=True, help="Port to listen on; 0 picks a free one.")
@click.option("--bind", "--host", "bind", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets other machines of the network in.")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in the default browser once it is built.")
@click.option("--base-url", help="Override base_url: the site is served under its path, as a host would serve it.")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-watch", is_flag=True, help="Serve without rebuilding on changes.")
@click.option("--no-search", is_flag=True,
              help="Skip the search index: Pagefind indexes the whole site again on every change, which is most "
                   "of a rebuild's time in a big catalog (55 s at 10,000 entries).")
def serve(project: Project, port: int, bind: str, open_browser: bool, base_url: str | None, output: Path | None,
          no_watch: bool, no_search: bool) -> None:
    """Build, serve on localhost, rebuild when content, layouts or assets change, and reload the browser."""
    from .site.serve import serve_site

    def load() -> Project:  # before each rebuild: the settings may have changed
        return _with_base_url(load_project(project.config_path), base_url)

    serve_site(load, bind=bind, port=port, output=output, watch=not no_watch, search=not no_search,
               open_browser=open_browser)


@main.command()
@config_option
@click.option("--prune", is_flag=True, help="Remove stored results that no entry uses.")
@click.option("--strict", is_flag=True, help="Fail when a result cannot be computed.")
@click.option("--model", help="Hub id or local folder of the captioning model.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]))
@click.option("--batch-size", type=int)
@click.option("--threads", type=int, help="CPU threads for torch (default: the cores this process may use).")
@click.option("--precision", type=click.Choice(["fp32", "bf16", "int8"]))
@click.option("--decoding", type=click.Choice(["greedy", "beam", "sample"]))
@click.option("--num-beams", type=int)
@click.option("--heatmap", type=click.Choice(["gradcam-layers", "relevance", "gradcam", "attention"]))
@click.option("--engine", type=click.Choice(["local", "ray"]), help="Where the model runs: in this process, or on Ray workers.")
@click.option("--address", help="Ray cluster to join (implies --engine ray; default: RAY_ADDRESS, else a local Ray).")
@click.option("--workers", type=int, help="Ray workers, each with the model loaded once (captions.ray.workers).")
def captions(project: Project, prune: bool, strict: bool, address: str | None, workers: int | None, **overrides) -> None:
    """Caption every sample image and compute its heatmaps, filling the caption store."""
    from .captions.command import run_captions_command

    overrides = {k: v for k, v in overrides.items() if v is not None}
    ray = {k: v for k, v in (("address", address), ("workers", workers)) if v is not None}
    if ray:
        overrides["ray"] = ray
    if address and "engine" not in overrides:
        overrides["engine"] = "ray"
    sys.exit(run_captions_command(project, prune=prune, strict=strict, overrides=overrides))


def _evidence_module(name: str):
    """The evidence stage, which needs the optional HTTP clients (``pip install 'unfragile-ssg[evidence]'``)."""
    import importlib

    try:
        return importlib.import_module(f".evidence.{name}", __package__)
    except ImportError as error:
        if error.name and error.name.split(".")[0] in ("httpx2", "huggingface_hub"):
            raise SiteError(f"this command needs {error.name}: pip install 'unfragile-ssg[evidence]'") from None
        raise


@main.group()
def evidence() -> None:
    """Fetch public facts (hub downloads and likes, GitHub stars ...) into entries' signals."""


@evidence.command("pull")
@config_option
@click.argument("slugs", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Print the changes as a unified diff; write nothing.")
@click.option("--only", type=click.Choice(["hf", "github"]), help="Ask only the Hugging Face Hub, or only GitHub.")
@click.option("--jobs", "-j", type=int, default=8, show_default=True, help="Requests in flight at once.")
def evidence_pull(project: Project, slugs: tuple[str, ...], dry_run: bool, only: str | None, jobs: int) -> None:
    """Refresh the signals of every entry (or of SLUGS) from the hub and GitHub pages they link to."""
    pull = _evidence_module("pull")
    result = pull.pull_evidence(project, pull.PullOptions(slugs=slugs, dry_run=dry_run, only=only, jobs=jobs))
    for diff in result.diffs if dry_run else ():
        click.echo(diff, nl=False)
    report(result.problems, summary=False)
    failures = sum(1 for p in result.problems if p.severity == "error")
    verb = "would update" if dry_run else "updated"
    stats = result.stats
    click.echo(f"{result.sources_read} sources read, {verb} {result.signals_changed} signals in {len(result.changed)} "
               f"entries; {stats.requests} requests ({stats.not_modified} unchanged, answered 304)"
               + (f"; {failures} failed" if failures else ""), err=True)
    sys.exit(1 if result.failed else 0)


@main.group("import")
def import_() -> None:
    """Write a new entry from what a publisher already publishes."""


@import_.command("hf")
@config_option
@click.argument("repo_id")
@click.option("--kind", help="The kind of entry (a folder under content/); default: models for a model, datasets for a dataset.")
@click.option("--slug", help="The entry's slug (default: from the repository's name).")
@click.option("--task", "tasks", multiple=True, help="A task of the site (repeatable); default: from the pipeline tag.")
def import_hf(project: Project, repo_id: str, kind: str | None, slug: str | None, tasks: tuple[str, ...]) -> None:
    """Write an entry from a Hugging Face Hub repository: ORG/NAME or datasets/ORG/NAME."""
    importers = _evidence_module("importers")
    target, warnings = importers.import_hub(project, repo_id, kind=kind, slug=slug, tasks=tasks)
    report(warnings)
    click.echo(f"Wrote {project.display(target)}: read it, write its overview, then run 'unfragile check'.")


@import_.command("manifest")
@config_option
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", help="The kind of entry (default: from the manifest's artifact.type).")
@click.option("--slug", help="The entry's slug (default: the manifest's artifact.slug).")
def import_manifest(project: Project, path: Path, kind: str | None, slug: str | None) -> None:
    """Write an entry from a builder's unfragile.yml (Unfragile Capability Protocol manifest)."""
    from .evidence.manifest import import_manifest_file

    target, warnings = import_manifest_file(project, path, kind=kind, slug=slug)
    report(warnings)
    click.echo(f"Wrote {project.display(target)}: read it, then run 'unfragile check'.")


if __name__ == "__main__":  # pragma: no cover
    main()
