"""The build: each stage in order, timed, with every problem reported at once."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .. import cachefile
from ..cachefile import code_digest
from ..catalog.enrich import build_catalog
from ..catalog.model import Catalog
from ..config import Project
from ..content.cache import EntryCache
from ..content.entries import load_site_entries
from ..content.history import git_dates
from ..content.protocol import protocol_warnings
from ..content.validate import Entry
from ..errors import Problem, SiteError
from ..fingerprint import fingerprint
from ..memo import Caches
from ..paths import outside_site
from ..pages.plan import PlannedPage, plan_site
from ..pages.urls import Linker
from ..post.links import link_memo, packed_links
from ..post.links import load_cache as load_link_cache
from ..post.stage import PostInput, check_page_links, post_process
from ..render.assets import collect_assets
from ..render.cards import draw_card
from ..render.context import SiteContext
from ..render.engine import compile_templates, folder_digest, layout_problems, make_environment, template_folders
from .lock import output_lock
from .parallel import fork_map
from .write import Staging, WriteStats, copy_static, render_pages, staging_path


@dataclass
class BuildOptions:
    output: Path | None = None
    strict: bool = False
    jobs: int = 0  # 0: one per core
    captions: bool = True  # run the captioning model on store misses
    search: bool = True
    external_links: bool = False
    progress: bool = False
    caption_overrides: dict = field(default_factory=dict)
    cache_dir: Path | None = None  # default: .unfragile-cache beside the settings
    memory: "BuildMemory | None" = None  # what one build hands the next in the same process (serve)


@dataclass
class BuildMemory:
    """What a build keeps in memory for the next build in the same process: the caches as
    decoded (the match graph's state, scores, manifests) and the entry cache, which otherwise
    take most of a small rebuild to read back from disk."""

    entry_cache: EntryCache | None = None
    caches: Caches | None = None

    def caches_at(self, root: Path) -> Caches:
        if self.caches is None or self.caches.root != root:
            self.caches, self.entry_cache = Caches(root), None
        return self.caches


def caches_for(options: BuildOptions, cache_dir: Path) -> Caches:
    return options.memory.caches_at(cache_dir) if options.memory is not None else Caches(cache_dir)


@dataclass
class BuildResult:
    pages: int = 0
    stats: WriteStats = field(default_factory=WriteStats)
    timings: list[tuple[str, float]] = field(default_factory=list)
    peaks: dict[str, float] = field(default_factory=dict)  # stage -> this process's peak memory (MB) after it
    warnings: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    output: Path | None = None
    without_links: int = 0  # check: pages with no links to check (data files, markdown twins), not rendered


class Timer:
    def __init__(self, timings: list[tuple[str, float]], peaks: dict[str, float] | None = None):
        self.timings = timings
        self.peaks = peaks

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings.append((name, time.perf_counter() - start))
            peak = peak_memory_mb()
            if self.peaks is not None and peak is not None:
                self.peaks[name] = peak


def peak_memory_mb() -> float | None:
    """This process's peak resident memory so far, where the system tells it."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kilobytes / (1024 * 1024 if sys.platform == "darwin" else 1024)  # macOS counts bytes


@contextmanager
def collector_paused():
    """Python's cycle collector off for the duration of a build.

    A build allocates millions of objects that live until it ends (entries, the catalog,
    plans) and makes almost no cyclic garbage: left on, the collector walks the growing heap
    again and again, which triples the time to load the entry cache (2.3 s -> 0.6 s at 10,000
    entries) and slows rendering by half. Forked workers inherit the setting."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_and_validate(project: Project, timer: Timer, jobs: int, caches: Caches, memory: BuildMemory | None = None) -> list[Entry]:
    """The load and validate stages (``content.entries``), timed, parsing in parallel."""
    kept = memory.entry_cache if memory is not None else None
    entries, handed_on = load_site_entries(project, caches, lambda task, items: fork_map(task, items, jobs), timer.stage, kept)
    if memory is not None:
        memory.entry_cache = handed_on
    return entries


def enrich(project: Project, entries: list[Entry], options: BuildOptions, timer: Timer, warnings: list[Problem],
           caches: Caches | None = None):
    with timer.stage("enrich: catalog"):
        catalog = build_catalog(project, entries, caches)
    with timer.stage("enrich: captions"):
        samples, files = _captions(project, entries, options, warnings)
    return catalog, samples, files


def _captions(project: Project, entries: list[Entry], options: BuildOptions, warnings: list[Problem]):
    if not any(entry.head.samples for entry in entries):
        return {}, {}
    from ..captions.step import caption_entries

    report = caption_entries(
        project, entries, strict=options.strict, progress=options.progress,
        overrides=options.caption_overrides, compute=options.captions,
    )
    warnings.extend(report.warnings)
    return report.samples, report.files


def site_key(project: Project, assets) -> str:
    settings = project.settings.model_dump_json()
    return fingerprint(code_digest(), settings, folder_digest(template_folders(project)), sorted((a.name, a.output) for a in assets.values()))


def build_site(project: Project, options: BuildOptions) -> BuildResult:
    output = (options.output or project.default_output()).absolute()
    with output_lock(output, project.root, "unfragile build"), collector_paused():  # one build at a time
        return _build_site(project, options)


def _build_site(project: Project, options: BuildOptions) -> BuildResult:
    started = time.perf_counter()
    result = BuildResult()
    timer = Timer(result.timings, result.peaks)
    output = (options.output or project.default_output()).absolute()
    result.output = output
    jobs = options.jobs or os.cpu_count() or 1

    cache_dir = options.cache_dir or project.cache_dir
    # what killed writes left behind (the caption model hashes are kept in the project's cache)
    for folder in dict.fromkeys((cache_dir, project.cache_dir)):
        cachefile.remove_stale_temporaries(folder)
    caches = caches_for(options, cache_dir)
    staging = Staging(output, caches)
    try:
        staging.prepare_in_background(enabled=jobs > 1)
        return _stages(project, options, result, timer, staging, jobs, caches, started)
    finally:
        staging.close()


def _stages(project: Project, options: BuildOptions, result: BuildResult, timer: Timer, staging: Staging, jobs: int,
            caches: Caches, started: float) -> BuildResult:
    entries = load_and_validate(project, timer, jobs, caches, options.memory)
    result.warnings.extend(protocol_warnings(project, entries))
    catalog, samples, caption_files = enrich(project, entries, options, timer, result.warnings, caches)

    with timer.stage("plan"):
        plan = _plan(project, catalog, entries, samples, caption_files)
        pages, context, env, static = plan.pages, plan.context, plan.env, plan.static
        result.pages = len(pages)

    with staging:
        with timer.stage("render: reuse unchanged"):
            to_render, result.stats.reused = staging.start(pages, {name for name, _ in static})
        with timer.stage("render: fragments"):
            if to_render:
                compile_templates(env)
            slugs = _slugs_shown(catalog, to_render)
            context.fragments = _render_fragments(context, env, slugs, jobs)
        with timer.stage("render: pages"):
            # pages are read for the link check while their bytes are at hand, not read back later
            page_links = render_pages(_renderer(plan), to_render, staging.path, jobs, inspect=packed_links)
            result.stats.rendered = len(to_render)
            context.fragments = {}  # the post stage reads no fragment: their memory is free for its own
        with timer.stage("write: static files"):
            result.stats.static = copy_static(static, staging.path)
        with timer.stage("post"):
            post = PostInput(project, context, pages, staging.path, strict=options.strict,
                             external_links=options.external_links, search=options.search, caches=caches,
                             changed=len(to_render), static=tuple(name for name, _ in static), page_links=page_links)
            try:
                result.warnings.extend(post_process(post))
            finally:
                result.timings.extend((f"post: {step}", seconds) for step, seconds in post.timings.items())
        _fail_on_errors(result.warnings, options.strict)
        staging.commit(pages)
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class _Plan:
    pages: list[PlannedPage]
    context: SiteContext
    env: object  # the Jinja environment
    static: list[tuple[str, Path]]  # files copied as they are: (output name, source)


def _plan(project: Project, catalog: Catalog, entries: list[Entry], samples: dict, caption_files: dict) -> _Plan:
    """Every page with its fingerprint, what the templates are given, and the static files."""
    linker = Linker(project.settings.base_path, project.settings.base_url)
    assets, problems = collect_assets(project)
    problems += layout_problems(project)
    # the caption store's files are published as they are: none may come from outside the site
    problems += [p for p in (outside_site(source, project.root, project.display) for source in caption_files.values()) if p]
    if problems:
        raise SiteError(problems)
    dates = git_dates(project.root)
    # what a page shows beyond its entry file: its samples' captions, its "last updated" date
    shown = {e.slug: fingerprint(samples.get(e.slug), dates.get(e.source)) for e in entries}
    pages = plan_site(catalog, project.settings.kinds, project.settings.tasks, site_key(project, assets), shown,
                      site_title=project.settings.title)
    context = SiteContext(project, catalog, linker, samples=samples, methodology=_methodology(project, catalog),
                          updated=dates, pages=pages)
    env = make_environment(project, linker, assets)
    static = [(a.output, a.source) for a in assets.values()] + sorted(caption_files.items())
    return _Plan(pages, context, env, static)


def _renderer(plan: _Plan):
    def render(page: PlannedPage) -> bytes:
        if page.view == "card":
            return draw_card(*page.args)
        return plan.context.render(plan.env, page)

    return render


def check_site(project: Project, options: BuildOptions) -> BuildResult:
    """Everything a build checks, writing no page: validation, the catalog, rendering, and the
    link check. Only the pages the link cache does not know (by their fingerprint) are
    rendered, in memory, for their links; the others' links are those the last build or
    check found. Writes nothing but the cache (``.unfragile-cache/``, or ``cache_dir``): no
    output folder, no temporary folder, so a check stopped in any way leaves nothing behind."""
    with collector_paused(), stopped_cleanly():
        return _check_site(project, options)


_stopping: list[int] = []  # the process whose stopped_cleanly() is in force, if any


def _plain_signals_in_child() -> None:
    """In a process forked while stopped_cleanly() is in force: SIGTERM kills it at once, as by
    default. A Python handler there could miss the signal (one that arrives as the worker
    starts waiting on its pool's queue, in C, is only seen at the next bytecode, which never
    comes), and the parent would wait for it forever. SIGINT is ignored: Ctrl-C reaches the
    whole process group, and the parent stops its workers."""
    if _stopping:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_plain_signals_in_child)


@contextmanager
def stopped_cleanly():
    """SIGTERM and SIGINT stop this process through an exception (SystemExit, KeyboardInterrupt),
    so that what it was doing is undone on the way out (a cache file half written, worker
    processes) instead of the process vanishing mid-way. Forked workers, which hold nothing
    of their own, keep the default: they die at once. Only from the main thread, where
    signals arrive."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def stop(number: int, frame) -> None:
        if os.getpid() != owner:  # forked, and signalled before it could reset its handlers
            os._exit(128 + number)
        if number == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + number)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGINT)}
    _stopping.append(owner)
    try:
        yield
    finally:
        _stopping.remove(owner)
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)


def _check_site(project: Project, options: BuildOptions) -> BuildResult:
    started = time.perf_counter()
    result = BuildResult()
    timer = Timer(result.timings, result.peaks)
    jobs = options.jobs or os.cpu_count() or 1
    cache_dir = options.cache_dir or project.cache_dir
    options.captions = False  # a check runs no model: stored captions only

    caches = caches_for(options, cache_dir)
    entries = load_and_validate(project, timer, jobs, caches, options.memory)
    result.warnings.extend(protocol_warnings(project, entries))
    catalog, samples, caption_files = enrich(project, entries, options, timer, result.warnings, caches)
    with timer.stage("plan"):
        plan = _plan(project, catalog, entries, samples, caption_files)
        result.pages = len(plan.pages)
    # the link cache of the default output's build, so that a check after a build (or after
    # a check) renders only what changed since
    links_file = link_memo(caches, staging_path(project.default_output().absolute()))
    with timer.stage("render: link cache lookup"):
        stored = load_link_cache(links_file)
        known = stored.parsed({page.output: page.key for page in plan.pages})
        # only HTML pages have links to check; the data files and twins made from the same
        # context are rendered by the build
        html = [page for page in plan.pages if page.output.endswith(".html")]
        to_render = [page for page in html if page.output not in known]
        result.stats.rendered, result.stats.reused = len(to_render), len(html) - len(to_render)
        result.without_links = len(plan.pages) - len(html)
    with timer.stage("render: fragments"):
        if to_render:
            compile_templates(plan.env)
        plan.context.fragments = _render_fragments(plan.context, plan.env, _slugs_shown(catalog, to_render), jobs)
    with timer.stage("render: pages, in memory"):
        fresh = render_pages(_renderer(plan), to_render, None, jobs, inspect=packed_links)
        plan.context.fragments = {}
    with timer.stage("post"):
        # static HTML files are read where they are, not copied anywhere
        fresh.update((name, packed_links(source.read_bytes())) for name, source in plan.static if name.endswith(".html"))
        post = PostInput(project, plan.context, plan.pages, None, strict=options.strict,
                         external_links=options.external_links, search=False, caches=caches,
                         changed=len(to_render), static=tuple(name for name, _ in plan.static), page_links=fresh)
        try:
            result.warnings.extend(check_page_links(post, links_file, stored))
        finally:
            result.timings.extend((f"post: {step}", seconds) for step, seconds in post.timings.items())
    _fail_on_errors(result.warnings, options.strict)
    result.seconds = time.perf_counter() - started
    return result


def _fail_on_errors(problems: list[Problem], strict: bool) -> None:
    """An error is an error whichever stage found it (an unreadable sample image): the words
    say "nothing was written", and the exit code must agree. Under ``strict``, so is a warning."""
    if problems and (strict or any(p.severity == "error" for p in problems)):
        raise SiteError(problems)


def _methodology(project: Project, catalog: Catalog) -> dict:
    try:
        from ..catalog.methodology import methodology_context
    except ImportError:
        return {}
    return methodology_context(project, catalog)


def _slugs_shown(catalog: Catalog, pages: list[PlannedPage]) -> list[str]:
    slugs: set[str] = set()
    for page in pages:
        if page.view == "entry":
            slugs.add(page.args[0])
        elif page.view == "compare":
            pair = catalog.pairs[page.args[0]]
            slugs.update((pair.a, pair.b))
    return sorted(slugs)


def _render_fragments(context: SiteContext, env, slugs: list[str], jobs: int) -> dict[str, dict[str, bytes]]:
    """Each entry's overview and capabilities as HTML, once, for all pages that show them."""
    chunks = [slugs[i : i + 50] for i in range(0, len(slugs), 50)]
    merged: dict[str, dict[str, bytes]] = {}
    for part in fork_map(lambda chunk: context.render_fragments(env, chunk), chunks, jobs, minimum=10):
        merged.update(part)
    return merged
