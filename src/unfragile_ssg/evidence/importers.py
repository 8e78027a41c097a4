"""``unfragile import hf``: a new entry from a hub repository's metadata; and what every
importer shares: choosing the kind and slug, and writing an entry that passes ``check``
without ever replacing a file."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import yaml

from ..config import SLUG, Project
from ..content.load import ENTRY_SUFFIXES, read_entry
from ..content.validate import check_schema
from ..errors import Problem, SiteError, did_you_mean
from .facts import SourceFailure
from .vocabulary import catalog_license, site_task, slug_of


# Tags the hub sets for its own services: they say nothing about the artifact.
HUB_PLUMBING_TAGS = {"endpoints_compatible", "autotrain_compatible", "has_space", "text-generation-inference", "inference_endpoints"}


def resolve_kind(project: Project, asked: str | None, default: str, where: Problem | None = None) -> str:
    kinds = project.settings.kinds
    wanted = asked or default
    kind = next((k for k, s in kinds.items() if wanted.lower() in (k, s.label.lower(), k.rstrip("s"))), None)
    if kind is None:
        message = (f"'{wanted}' is not a kind of this site{did_you_mean(wanted, kinds)}: pass --kind with one of "
                   f"{', '.join(kinds)}, or add the kind under 'kinds' in unfragile.yaml")
        raise SiteError(Problem(where.path, where.line, where.col, message) if where else
                        Problem(project.display(project.config_path), 0, 0, message))
    return kind


def entry_path(project: Project, kind: str, slug: str, where: Problem | None = None) -> Path:
    """Where the new entry goes; refuses a slug that is not one or that an entry already has."""
    def refuse(message: str) -> SiteError:
        return SiteError(Problem(where.path, where.line, where.col, message) if where else Problem(slug, 0, 0, message))

    if not re.match(SLUG, slug):
        raise refuse(f"'{slug}' is not a slug (lower-case letters, digits and dashes): pass --slug")
    content = project.content_dir
    for folder in sorted(content.iterdir()) if content.is_dir() else ():
        for suffix in ENTRY_SUFFIXES:
            existing = folder / f"{slug}{suffix}"
            if existing.exists():
                raise refuse(f"an entry '{slug}' already exists ({project.display(existing)}): nothing was written; "
                             "edit that file, or choose another slug with --slug")
    return content / kind / f"{slug}.md"


def write_entry(project: Project, kind: str, target: Path, front: dict[str, Any], body: str) -> None:
    """Write the entry as markdown with front matter, after checking it as ``check`` would; the
    file appears whole or not at all, and never replaces one that appeared meanwhile."""
    text = "---\n" + dump_yaml(front) + "---\n" + body.strip() + "\n"
    data = text.encode("utf-8")
    raw, problem = read_entry(project, kind, target, raw=data)
    problems = [problem] if problem else check_schema(raw)[1]
    unknown = [t for t in front.get("tasks", []) if t not in project.settings.tasks]
    problems += [Problem(project.display(target), 0, 0, f"unknown task '{t}'") for t in unknown]
    if problems:
        raise SiteError([Problem(p.path, p.line, p.col, f"the imported entry would not be valid: {p.message}") for p in problems])
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.link(temporary, target)  # fails if the file exists: never overwrites
    except FileExistsError:
        raise SiteError(Problem(project.display(target), 0, 0, "already exists: nothing was written")) from None
    finally:
        temporary.unlink(missing_ok=True)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # a value used twice (today's date) is written twice, not as an anchor


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def first_sentence(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rsplit(" ", 1)[0] + "…"
    return sentence


def import_hub(project: Project, repo_argument: str, *, kind: str | None = None, slug: str | None = None,
               tasks: tuple[str, ...] = (), today: dt.date | None = None) -> tuple[Path, list[Problem]]:
    from .http import ConditionalTransport, EtagCache, Stats, cache_path
    from .hub import HubClient, parse_repo_argument

    repo = parse_repo_argument(repo_argument)
    if repo is None:
        raise SiteError(Problem(repo_argument, 0, 0, "not a hub repository: write ORG/NAME, datasets/ORG/NAME or its "
                                                     "https://huggingface.co/ address"))
    kind = resolve_kind(project, kind, "models" if repo.kind == "model" else "datasets")
    name = repo.repo_id.rsplit("/", 1)[-1]
    target = entry_path(project, kind, slug or slug_of(name))
    for task in tasks:
        if task not in project.settings.tasks:
            raise SiteError(Problem(task, 0, 0, f"unknown task '{task}'{did_you_mean(task, project.settings.tasks)}: "
                                                "use a task listed under 'tasks' in unfragile.yaml"))
    cache = EtagCache(cache_path(project.cache_dir))
    transport = ConditionalTransport(cache, Stats())
    client = HubClient(transport)
    try:
        fetched = client.fetch(repo)
    except SourceFailure as failure:
        raise SiteError(Problem(repo_argument, 0, 0, failure.message.replace("fix links.model_card, or remove it if the "
                                                                             "repository is gone", "check the id"))) from None
    finally:
        client.close()
        transport.close()
    cache.save()
    meta = fetched.metadata
    today = today or dt.datetime.now(dt.timezone.utc).date()
    warnings: list[Problem] = []
    shown = project.display(target)
    tag = meta.get("pipeline_tag")
    if not tasks:
        task = site_task(tag, project.settings.tasks) if tag else None
        if task is None:
            described = f"pipeline tag '{tag}'" if tag else "no pipeline tag"
            raise SiteError(Problem(repo_argument, 0, 0, f"the hub gives {described}, which is none of the site's tasks: "
                                                         f"pass --task with one of {', '.join(project.settings.tasks)}"))
        tasks = (task,)
    license_ = meta.get("license")
    if not license_:
        warnings.append(Problem(shown, 0, 0, "the hub states no licence: 'license' says 'unknown'; fill it in from the "
                                             "model card", severity="warning"))
    author = meta.get("author") or name
    label = project.settings.kinds[kind].label.lower()
    what = f"{tag.replace('-', ' ')} {label}" if tag else label
    links: dict[str, str] = {"model_card": meta["page"]}
    paper = next((t.removeprefix("arxiv:") for t in meta.get("tags", []) if t.startswith("arxiv:")), None)
    if paper and re.fullmatch(r"[0-9]{4}\.[0-9]{4,5}", paper):
        links["paper"] = f"https://arxiv.org/abs/{paper}"
    tags = [t for t in meta.get("tags", []) if re.fullmatch(SLUG, t) and t != tag and t not in HUB_PLUMBING_TAGS][:10]
    front: dict[str, Any] = {
        "title": name,
        "summary": f"{name}: {'an' if what[:1] in 'aeiou' else 'a'} {what} published by {author} on the Hugging Face Hub.",
        "publisher": author,
        "license": catalog_license(license_) if license_ else "unknown",
        "pricing": "free",
        "links": links,
        "tasks": list(tasks),
        "tags": tags,
        "signals": {fact.signal: fact.as_signal(today) for fact in fetched.facts},
    }
    body = (f"Imported from {meta['page']} on {today.isoformat()} by `unfragile import hf`: the title, publisher, licence "
            "and signals are the hub's; pricing says free because the files are public (change it if using it costs "
            "money). Write the overview here: what it does, when to choose it, and what it is not for.")
    write_entry(project, kind, target, front, body)
    return target, warnings
