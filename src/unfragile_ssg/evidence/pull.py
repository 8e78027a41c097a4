"""``unfragile evidence pull``: refresh each entry's signals from the sources it names.

For every entry with a hub repository (``links.model_card``) or a GitHub repository
(``links.source``), fetch the public facts, and write those that changed into its ``signals``:
one file replaced atomically per entry, the rest of its bytes untouched. A signal whose source
is another page (an editor's reading of a paper, a config file) is never replaced; a different
value is reported instead, as are licences and pipeline tags that disagree with the entry.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from .. import cachefile
from ..config import Project
from ..content.load import RawEntry, load_entries, read_entry
from ..content.schema import EntryHead
from ..content.validate import check_schema
from ..errors import Problem, did_you_mean
from .facts import Fact, Fetched, SourceFailure, Unreachable
from .frontmatter import EditRefused, edit_signals, with_signals
from .http import ConditionalTransport, EtagCache, RateLimited, ResponseTooLarge, Stats, cache_path
from .vocabulary import same_license, site_task

SOURCES = ("hf", "github")


@dataclass(frozen=True)
class PullOptions:
    slugs: tuple[str, ...] = ()
    dry_run: bool = False
    only: str | None = None  # "hf" or "github"
    jobs: int = 8
    today: dt.date | None = None
    retries: int = 3
    backoff: float = 1.0


@dataclass
class PullResult:
    problems: list[Problem] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # display paths of entries written (or, dry run, to write)
    signals_changed: int = 0
    sources_read: int = 0
    stats: Stats = field(default_factory=Stats)

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


@dataclass
class _Job:
    raw: RawEntry
    head: EntryHead
    source: str  # "hf" or "github"
    run: Callable[[], Fetched]
    fetched: Fetched | None = None
    failure: SourceFailure | None = None
    stopped: bool = False  # the source stopped (rate limit, unreachable) at or before this job


def pull_evidence(project: Project, options: PullOptions) -> PullResult:
    from .github import GithubClient, github_repo
    from .hub import HubClient, hub_repo

    result = PullResult()
    today = options.today or dt.datetime.now(dt.timezone.utc).date()
    entries = _selected_entries(project, options, result)
    cache = EtagCache(cache_path(project.cache_dir))
    transport = ConditionalTransport(cache, result.stats, retries=options.retries, backoff=options.backoff)
    hub = github = None
    jobs: list[_Job] = []
    try:
        for raw, head in entries:
            repo = hub_repo(head.links.model_card)
            source = github_repo(head.links.source)
            if repo is not None and options.only in (None, "hf"):
                hub = hub or HubClient(transport)
                jobs.append(_Job(raw, head, "hf", lambda c=hub, r=repo: c.fetch(r)))
            if source is not None and options.only in (None, "github"):
                github = github or GithubClient(transport)
                jobs.append(_Job(raw, head, "github", lambda c=github, r=source, own=repo is None: c.fetch(r, owns_artifact=own)))
        stopped = _run(jobs, max(1, options.jobs))
    finally:
        for client in (hub, github):
            if client is not None:
                client.close()
        transport.close()
    _report_stopped(jobs, stopped, result)

    by_entry: dict[str, list[_Job]] = {}
    for job in jobs:
        by_entry.setdefault(job.raw.display, []).append(job)
    for entry_jobs in by_entry.values():
        _apply(project, entry_jobs, today, options.dry_run, result)
    if not options.dry_run:
        cache.save()
    result.problems.sort()
    return result


def _selected_entries(project: Project, options: PullOptions, result: PullResult) -> list[tuple[RawEntry, EntryHead]]:
    raws, problems = load_entries(project)
    wanted = set(options.slugs)
    if wanted:
        known = {raw.slug for raw in raws}
        for slug in options.slugs:
            if slug not in known:
                result.problems.append(Problem(slug, 0, 0, f"no entry has the slug '{slug}'{did_you_mean(slug, known)}: "
                                                           "name entries by their file name without the extension"))
        raws = [raw for raw in raws if raw.slug in wanted]
    else:
        result.problems += problems
    selected = []
    for raw in raws:
        fields, found = check_schema(raw)
        if fields is None:
            result.problems += found
            result.problems.append(Problem(raw.display, 1, 1, "not pulled: the entry is not valid; fix the problems "
                                                              "above (unfragile check), then run again"))
            continue
        selected.append((raw, fields.head))
    return selected


def _run(jobs: list[_Job], workers: int) -> dict[str, str]:
    """Run the jobs; a source that is unreachable or out of quota is not asked again. Returns the
    reason each stopped source stopped."""
    stopped: dict[str, str] = {}
    lock = threading.Lock()

    def one(job: _Job) -> None:
        with lock:
            if job.source in stopped:
                job.stopped = True
                return
        try:
            job.fetched = job.run()
        except Unreachable as failure:
            job.stopped = True
            with lock:
                stopped.setdefault(job.source, failure.message)
        except RateLimited as limited:
            when = (f"after {limited.retry_at:%Y-%m-%d %H:%M} UTC" if limited.retry_at else "later")
            hint = " (set GITHUB_TOKEN for a higher limit)" if job.source == "github" else " (set HF_TOKEN for a higher limit)"
            job.stopped = True
            with lock:
                stopped.setdefault(job.source, f"{limited.host} refuses more requests (rate limit): run again {when}{hint}")
        except SourceFailure as failure:
            job.failure = failure
        except ResponseTooLarge as error:
            job.failure = SourceFailure(f"{error}: not read", ())

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, jobs))
    return stopped


def _report_stopped(jobs: list[_Job], stopped: dict[str, str], result: PullResult) -> None:
    """One line per stopped source, at the first entry (in file order, whichever thread got there
    first) that it did not give its facts."""
    for source, reason in sorted(stopped.items()):
        affected = [job for job in jobs if job.stopped and job.source == source]
        first = affected[0]
        others = len(affected) - 1
        more = f" ({others} more {'entry' if others == 1 else 'entries'} not fetched from it either)" if others else ""
        line, col = first.raw.positions.of(("links", "source" if source == "github" else "model_card"))
        result.problems.append(Problem(first.raw.display, line, col, f"{reason}{more}"))


def _apply(project: Project, jobs: list[_Job], today: dt.date, dry_run: bool, result: PullResult) -> None:
    raw, head = jobs[0].raw, jobs[0].head
    facts: list[Fact] = []
    for job in jobs:
        if job.failure is not None:
            line, col = raw.positions.of(job.failure.where) if job.failure.where else (1, 1)
            result.problems.append(Problem(raw.display, line, col, job.failure.message))
        if job.fetched is None:
            continue
        result.sources_read += 1
        facts += job.fetched.facts
        for where, note in job.fetched.notes + _disagreements(project, head, job):
            line, col = raw.positions.of(where)
            result.problems.append(Problem(raw.display, line, col, note, severity="warning"))
    changes: dict[str, dict] = {}
    for fact in facts:
        existing = getattr(head.signals, fact.signal)
        if existing is None or fact.owns(existing.source):
            wanted = fact.as_signal(today)
            if existing is None or existing.model_dump() != wanted:
                changes[fact.signal] = wanted
        elif existing.value != fact.value:
            line, col = raw.positions.of(("signals", fact.signal))
            result.problems.append(Problem(raw.display, line, col, (
                f"kept {fact.signal} {existing.value} (from {existing.source}); {fact.source} states {fact.value}: "
                "replace it by hand if that source is the better one"), severity="warning"))
    if not changes:
        return
    try:
        before = raw.path.read_bytes()
        if hashlib.sha256(before).hexdigest() != raw.digest:
            raise EditRefused("the file changed while its evidence was fetched: run again")
        text = before.decode("utf-8")
        after = edit_signals(text, raw.path.suffix, changes).encode("utf-8")
        edited, problem = read_entry(project, raw.kind, raw.path, raw=after)
        if edited is None or edited.front != with_signals(raw.front, changes) or edited.body != raw.body:
            raise EditRefused("the edit would change more than the signals" + (f" ({problem.message})" if problem else ""))
        fields, found = check_schema(edited)
        if fields is None:
            raise EditRefused("the fetched values would make the entry invalid (" + "; ".join(p.message for p in found) + ")")
    except (EditRefused, OSError, UnicodeDecodeError) as refused:
        result.problems.append(Problem(raw.display, *raw.positions.of(("signals",)),
                                       f"not updated: {refused}; edit the signals by hand or report it"))
        return
    result.diffs.append("".join(difflib.unified_diff(
        text.splitlines(keepends=True), after.decode("utf-8").splitlines(keepends=True),
        fromfile=f"a/{raw.display}", tofile=f"b/{raw.display}")))
    result.changed.append(raw.display)
    result.signals_changed += len(changes)
    if not dry_run:
        cachefile.write_atomically(raw.path, after)


def _disagreements(project: Project, head: EntryHead, job: _Job) -> list[tuple[tuple, str]]:
    """Notes where the source's licence or task disagrees with what the editor wrote."""
    notes = []
    meta = job.fetched.metadata
    theirs = meta.get("license")
    where = "the hub" if job.source == "hf" else "GitHub"
    if theirs and theirs.lower() not in ("other", "unknown") and not same_license(theirs, head.license):
        notes.append((("license",), f"{where} gives the licence '{theirs}' ({meta.get('page')}), the entry says "
                                    f"'{head.license}': check which is right and fix 'license' if needed"))
    tag = meta.get("pipeline_tag")
    task = site_task(tag, project.settings.tasks) if tag else None
    if task is not None and task not in head.tasks:
        notes.append((("tasks",), f"the hub's pipeline tag '{tag}' is the task '{task}', which 'tasks' does not list: "
                                  "add it if it fits"))
    return notes
