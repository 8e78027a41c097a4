"""The data each template receives, built from the catalog and pre-rendered fragments."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from ..catalog.model import SUBSCORE_LABELS, SUBSCORES, Catalog
from ..catalog.signals import COUNT_LABELS
from ..config import Project
from ..content.history import git_dates
from ..content.validate import Entry
from ..pages.cards import CARD_HEIGHT, CARD_WIDTH, Card, entry_card, pair_card
from ..pages.plan import LIST_PAGE_SIZE, PlannedPage
from ..pages.urls import CATALOG_PATH, SCHEMA_PATHS, Linker, compare_path, entry_path, paged, passport_path, pricing_path, task_path, twin_of, twin_path
from . import api
from .comparison import client_rules, rules_script
from .engine import render_template
from .markdown import render_markdown

CAPABILITIES_SHOWN = 8
HOME_SHOWN = 20  # entries of each list on the home page: the top ranked, and those not ranked yet
PRICING_LABELS = {"free": "Free", "freemium": "Freemium", "paid": "Paid", "contact": "Contact sales"}
SIGNAL_LABELS = {
    **COUNT_LABELS,
    "parameters": "Parameters",
    "released": "Released",
    "updated": "Last updated",
}


def fact_rows(entry: Entry) -> list[dict[str, Any]]:
    """The entry's signals as table rows: what, value, when read, and where from."""
    rows = []
    signals = entry.head.signals
    for name, label in SIGNAL_LABELS.items():
        signal = getattr(signals, name)
        if signal is None:
            continue
        value = signal.value
        shown = value.isoformat() if hasattr(value, "isoformat") else _human_count(value) if name == "parameters" else f"{value:,}"
        rows.append({"label": label, "value": shown, "as_of": getattr(signal, "as_of", None), "source": signal.source})
    for bench in signals.benchmarks:
        rows.append({"label": f"{bench.name} ({bench.metric})", "value": f"{bench.value:g}", "as_of": None, "source": bench.source})
    return rows


def _human_count(value: int) -> str:
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return str(value)


@dataclass
class SiteContext:
    """Everything a page may show; one per build, shared by the worker processes."""

    project: Project
    catalog: Catalog
    linker: Linker
    samples: dict[str, list[Any]] = field(default_factory=dict)
    fragments: dict[str, dict[str, bytes]] = field(default_factory=dict)  # compressed: see render_fragments
    methodology: dict[str, Any] = field(default_factory=dict)
    # content file -> its git dates (content.history.FileDates); None: read with one `git log`
    updated: dict[str, Any] | None = None
    pages: list[PlannedPage] = field(default_factory=list)  # the plan, for llms.txt

    def __post_init__(self) -> None:
        if self.updated is None:
            self.updated = git_dates(self.project.root)  # once, before any worker forks

    # -- fragments, rendered once per entry and reused by every page that shows them --

    def render_fragments(self, env, slugs: list[str]) -> dict[str, dict[str, bytes]]:
        """Each entry's overview and capabilities as HTML, compressed: a cold build holds every
        entry's while it renders (117 MB at 10,000 entries, 30 MB compressed, for 60 us an entry)."""
        out = {}
        for slug in slugs:
            entry = self.catalog.by_slug[slug]
            values = dict(entry=entry, capabilities=entry.kept.capabilities(), shown=CAPABILITIES_SHOWN, tasks=self.project.settings.tasks)
            html = {
                "overview": render_markdown(entry.body, self.linker.base_path),
                "capabilities": render_template(env, "partials/capabilities.html", values, self.project),
                "capabilities_md": render_template(env, "agent/capabilities.md", values, self.project),  # for the twins
            }
            out[slug] = {name: zlib.compress(text.encode("utf-8"), 1) for name, text in html.items()}
        return out

    def fragment(self, slug: str, name: str) -> Markup:
        return Markup(zlib.decompress(self.fragments[slug][name]).decode("utf-8"))

    # -- shared pieces --

    def entry_url(self, entry: Entry) -> str:
        return self.linker.url(entry_path(entry.kind, entry.slug))

    def card(self, entry: Entry) -> dict[str, Any]:
        settings = self.project.settings
        return {
            "entry": entry,
            "url": self.entry_url(entry),
            "kind_label": settings.kinds[entry.kind].label,
            "scores": self.catalog.scores[entry.slug],
            "times_matched": self.catalog.times_matched(entry.slug),
            "pricing": PRICING_LABELS[entry.head.pricing],
        }

    def ranked_cards(self, members: list[Entry], start: int, stop: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``members[start:stop]`` (in ``Catalog.ranked`` order) as two lists of cards: the ranked
        ones, numbered by their place among the ranked members (1 for the first), and those not
        ranked yet, with what their rank lacks."""
        cut = self.catalog.ranked_count(members)
        ranked = [self.card(members[i]) | {"number": i + 1} for i in range(start, min(stop, cut))]
        unranked = [self.unranked_card(e) for e in members[max(start, cut):stop]]
        return ranked, unranked

    def unranked_links(self) -> list[tuple[str, str]]:
        """Per kind with entries not ranked yet, its name and the list page where they start."""
        links = []
        for kind, settings in self.project.settings.kinds.items():
            members = self.catalog.ranked_members("kind", kind)
            cut = self.catalog.ranked_count(members)
            if cut < len(members):
                links.append((settings.noun, self.linker.url(paged(kind + "/", cut // LIST_PAGE_SIZE + 1)) + "#not-ranked"))
        return links

    def unranked_card(self, entry: Entry) -> dict[str, Any]:
        scores = self.catalog.scores[entry.slug]
        needs = self.project.settings.scoring.needed(entry.kind)
        return self.card(entry) | {
            "needs": needs,
            "missing": [SUBSCORE_LABELS[n] for n in scores.missing],
        }

    def base(self, page: PlannedPage, title: str, description: str) -> dict[str, Any]:
        settings = self.project.settings
        # a markdown twin (models/x/index.md) shows its HTML page's data, under that page's address
        html_path = twin_of(page.path) if page.output.endswith(".md") else page.path
        twin = twin_path(html_path)
        return {
            "page": page,
            "title": title,
            "description": description,
            "canonical": self.linker.absolute(html_path),
            "twin": self.linker.url(twin) if twin is not None else None,
            "kinds": settings.kinds,
            "tasks": settings.tasks,
        }

    def pagination(self, path: str, number: int, count: int) -> dict[str, Any]:
        return {
            "number": number,
            "count": count,
            "previous": self.linker.url(paged(path, number - 1)) if number > 1 else None,
            "next": self.linker.url(paged(path, number + 1)) if number < count else None,
        }

    def build(self, page: PlannedPage) -> dict[str, Any]:
        return getattr(self, "view_" + page.view)(page, *page.args)

    def render(self, env, page: PlannedPage) -> bytes:
        """A page's bytes: its template with its data, or for a data file (``api:``) the data as JSON."""
        if page.template.startswith("api:"):
            return api.to_bytes(self.build(page))
        return render_template(env, page.template, self.build(page), self.project).encode("utf-8")

    # -- one builder per kind of page --

    def view_home(self, page: PlannedPage) -> dict[str, Any]:
        settings = self.project.settings
        ranked = self.catalog.ranked()
        cut = self.catalog.ranked_count(ranked)
        by_kind = {kind: len(self.catalog.ranked_members("kind", kind)) for kind in settings.kinds}
        by_task = {task: len(self.catalog.ranked_members("task", task)) for task in settings.tasks}
        top, _ = self.ranked_cards(ranked, 0, HOME_SHOWN)
        _, unranked = self.ranked_cards(ranked, cut, cut + HOME_SHOWN)
        return self.base(page, settings.title, settings.description or settings.tagline) | {
            "top": top,
            "unranked": unranked,
            "ranked_total": cut,
            "unranked_total": len(ranked) - cut,
            "unranked_links": self.unranked_links(),
            "count": len(ranked),
            "by_kind": by_kind,
            "by_task": by_task,
            "comparisons": len(self.catalog.pairs),
            "filters": self.list_filters(),
        }

    def _listing(self, page, title, description, members, path, number, count):
        start = (number - 1) * LIST_PAGE_SIZE
        ranked, unranked = self.ranked_cards(members, start, start + LIST_PAGE_SIZE)
        cut = self.catalog.ranked_count(members)
        return self.base(page, title + (f" (page {number} of {count})" if count > 1 else ""), description) | {
            "heading": title,
            "cards": ranked,
            "unranked": unranked,
            "total": len(members),
            "ranked_total": cut,
            "unranked_total": len(members) - cut,
            "offset": start,
            "pagination": self.pagination(path, number, count),
        }

    def list_filters(self, by: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
        """The list pages a reader can narrow a list to, by kind, task and pricing (each a static,
        pre-filtered page, so the filters work without JavaScript); ``by``/``name``: this page's."""
        settings = self.project.settings
        groups = [
            ("Type", "kind", [(kind, k.plural, kind + "/") for kind, k in settings.kinds.items()]),
            ("Task", "task", [(task, t.label, task_path(task)) for task, t in settings.tasks.items()]),
            ("Pricing", "pricing", [(p, label, pricing_path(p)) for p, label in PRICING_LABELS.items()]),
        ]
        out = []
        for label, group_by, options in groups:
            links = [{"label": text, "url": self.linker.url(path), "count": len(members), "current": (group_by, value) == (by, name)}
                     for value, text, path in options if (members := self.catalog.ranked_members(group_by, value))]
            if links:
                out.append({"label": label, "links": links})
        return out

    def view_kind(self, page: PlannedPage, kind: str, number: int, count: int) -> dict[str, Any]:
        settings = self.project.settings.kinds[kind]
        members = self.catalog.ranked_members("kind", kind)
        context = self._listing(page, settings.plural, f"{settings.plural} in the catalog, ranked by UnfragileRank.", members, kind + "/", number, count)
        return context | {"kind": kind, "filters": self.list_filters("kind", kind)}

    def view_task(self, page: PlannedPage, task: str, number: int, count: int) -> dict[str, Any]:
        settings = self.project.settings.tasks[task]
        members = self.catalog.ranked_members("task", task)
        description = settings.description or f"Entries for {settings.label}, ranked by UnfragileRank."
        context = self._listing(page, settings.label, description, members, task_path(task), number, count)
        return context | {"task": task, "task_settings": settings, "filters": self.list_filters("task", task)}

    def view_pricing(self, page: PlannedPage, pricing: str, number: int, count: int) -> dict[str, Any]:
        label = PRICING_LABELS[pricing]
        members = self.catalog.ranked_members("pricing", pricing)
        context = self._listing(page, f"Pricing: {label}", f"Entries whose pricing is {label.lower()}, ranked by UnfragileRank.",
                                members, pricing_path(pricing), number, count)
        return context | {"pricing": pricing, "filters": self.list_filters("pricing", pricing)}

    def view_tasks(self, page: PlannedPage) -> dict[str, Any]:
        tasks = self.project.settings.tasks
        counts = {task: len(self.catalog.ranked_members("task", task)) for task in tasks}
        return self.base(page, "Tasks", "Every task in the catalog, with how many entries do it.") | {
            "task_counts": counts, "task_url": lambda t: self.linker.url(task_path(t)),
        }

    def view_compare_index(self, page: PlannedPage, number: int, count: int) -> dict[str, Any]:
        start = (number - 1) * LIST_PAGE_SIZE
        tasks = self.project.settings.tasks
        index = self.catalog.comparison_index(list(tasks))
        groups: list[dict[str, Any]] = []
        for group, pair in index[start : start + LIST_PAGE_SIZE]:
            if not groups or groups[-1]["task"] != group:
                label = tasks[group].label if group else "Across tasks"
                groups.append({"task": group, "label": label, "url": self.linker.url(task_path(group)) if group else None,
                               "id": group or "across-tasks", "rows": []})
            first, second = self.catalog.ordered_pair(pair)
            groups[-1]["rows"].append({"url": self.linker.url(compare_path(pair)), "first": first, "second": second, "pair": pair})
        title = "Comparisons" + (f" (page {number} of {count})" if count > 1 else "")
        return self.base(page, title, "Every side-by-side comparison in the catalog, grouped by task.") | {
            "heading": "Comparisons", "groups": groups, "total": len(index),
            "pagination": self.pagination("compare/", number, count),
            # the first page also compares any two entries, in the browser (compare.js)
            "compare_rules": rules_script(client_rules(self, PRICING_LABELS)) if number == 1 and len(self.catalog.entries) > 1 else None,
        }

    def share_card(self, card: Card) -> dict[str, Any]:
        """The og:image of a page: its card's absolute URL, size and text."""
        return {"url": self.linker.absolute(card.path), "width": CARD_WIDTH, "height": CARD_HEIGHT, "alt": card.alt}

    def view_not_found(self, page: PlannedPage) -> dict[str, Any]:
        return self.base(page, "Page not found", "This page does not exist.")

    def view_methodology(self, page: PlannedPage) -> dict[str, Any]:
        return self.base(page, "Methodology", "How UnfragileRank and its sub-scores are computed.") | self.methodology

    def view_entry(self, page: PlannedPage, slug: str) -> dict[str, Any]:
        entry = self.catalog.by_slug[slug]
        settings = self.project.settings
        comparisons = []
        for pair in sorted(self.catalog.pairs_of[slug], key=lambda p: (-p.weight, p.other(slug))):
            other = self.catalog.by_slug[pair.other(slug)]
            comparisons.append({"url": self.linker.url(compare_path(pair)), "other": self.card(other), "pair": pair})
        twin = {"capabilities_md": self.fragment(slug, "capabilities_md")} if page.output.endswith(".md") else {}
        return self.base(page, entry.head.title, entry.head.summary) | twin | {
            "entry": entry,
            "card": self.card(entry),
            "scores": self.catalog.scores[slug],
            "subscores": [(SUBSCORE_LABELS[n], n) for n in SUBSCORES],
            "overview": self.fragment(slug, "overview"),
            "capabilities": self.fragment(slug, "capabilities"),
            "passport": self.linker.url(passport_path(slug)),
            "facts": fact_rows(entry),
            "comparisons": comparisons,
            "samples": self.samples.get(slug, []),
            "breakdown": self.catalog.breakdown(slug),
            "edit_url": self.edit_url(entry),
            "updated": self.updated[entry.source].updated if entry.source in self.updated else None,
            "task_labels": [(t, settings.tasks[t].label, self.linker.url(task_path(t))) for t in entry.head.tasks],
            "share_card": self.share_card(entry_card(self.catalog, settings.kinds, settings.title, slug)),
        }

    def view_compare(self, page: PlannedPage, index: int) -> dict[str, Any]:
        pair = self.catalog.pairs[index]
        first, second = self.catalog.ordered_pair(pair)
        sides = [self.card(first), self.card(second)]
        for side in sides:
            side["capabilities"] = self.fragment(side["entry"].slug, "capabilities")
            if page.output.endswith(".md"):
                side["capabilities_md"] = self.fragment(side["entry"].slug, "capabilities_md")
        title = f"{first.head.title} vs {second.head.title}"
        return self.base(page, title, f"{title}: side-by-side comparison to help you choose.") | {
            "pair": pair,
            "sides": sides,
            "subscores": [(SUBSCORE_LABELS[n], n) for n in SUBSCORES],
            "verdict": self.catalog.verdict(pair),
            "share_card": self.share_card(pair_card(self.catalog, self.project.settings.kinds, self.project.settings.title, pair)),
        }

    def view_search(self, page: PlannedPage) -> dict[str, Any]:
        settings = self.project.settings
        return self.base(page, "Search", "Search every entry and comparison in the catalog by name, capability or task.") | {
            "kind_links": [(k.plural, k.label, self.linker.url(kind + "/"), len(self.catalog.ranked_members("kind", kind)))
                           for kind, k in settings.kinds.items()],
            "task_links": [(t.label, self.linker.url(task_path(task)), n) for task, t in settings.tasks.items()
                           if (n := len(self.catalog.ranked_members("task", task)))],
            "pricing_labels": [PRICING_LABELS[p] for p in PRICING_LABELS if self.catalog.ranked_members("pricing", p)],
            "bundle": self.linker.url("pagefind/pagefind.js"),
            "comparisons": len(self.catalog.pairs),
        }

    # -- the catalog as data (render.api) and llms.txt --

    def view_passport(self, page: PlannedPage, slug: str) -> dict[str, Any]:
        return api.passport(self, slug)

    def view_catalog(self, page: PlannedPage) -> dict[str, Any]:
        return api.catalog_index(self)

    def view_schema(self, page: PlannedPage, name: str) -> dict[str, Any]:
        return api.json_schema(name, self.project.settings.base_url)

    def view_llms(self, page: PlannedPage) -> dict[str, Any]:
        """llms.txt (llmstxt.org): the site in a few lines, then every page's markdown twin, by section."""
        settings = self.project.settings
        sections: dict[str, list[tuple[str, str, str]]] = {}
        later: list[tuple[str, str, str]] = []  # the second and later pages of long lists: "Optional"
        for planned in self.pages:
            twin = twin_path(planned.path)
            if twin is None or planned.output.endswith(".md") or planned.view in ("not_found",):
                continue
            title, note, section = self.page_summary(planned)
            link = (title, self.linker.absolute(twin), note)
            if planned.view in ("kind", "task", "pricing", "compare_index") and planned.args[-2] > 1:
                later.append(link)
            else:
                sections.setdefault(section, []).append(link)
        data = [
            ("Catalog index (JSON)", self.linker.absolute(CATALOG_PATH), "every entry with its type, tasks, pricing and scores"),
            ("Passport schema (JSON Schema)", self.linker.absolute(SCHEMA_PATHS["passport"]),
             f"one passport per entry at {self.linker.absolute(passport_path('<slug>'))}"),
            ("Catalog schema (JSON Schema)", self.linker.absolute(SCHEMA_PATHS["catalog"]), ""),
        ]
        order = ["Site", *[k.plural for k in settings.kinds.values()], "Comparisons", "Tasks"]
        return self.base(page, settings.title, settings.description or settings.tagline) | {
            "sections": [(name, sections[name]) for name in order if name in sections], "data": data, "optional": later,
        }

    def page_summary(self, page: PlannedPage) -> tuple[str, str, str]:
        """A page's title, a note on it, and its section of llms.txt, read from the catalog
        without building the page's data."""
        settings, catalog = self.project.settings, self.catalog
        number = f" (page {page.args[-2]} of {page.args[-1]})" if page.view in ("kind", "task", "pricing", "compare_index") and page.args[-1] > 1 else ""
        if page.view == "entry":
            entry = catalog.by_slug[page.args[0]]
            return entry.head.title, entry.head.summary, settings.kinds[entry.kind].plural
        if page.view == "compare":
            first, second = catalog.ordered_pair(catalog.pairs[page.args[0]])
            return f"{first.head.title} vs {second.head.title}", "side-by-side comparison and verdict", "Comparisons"
        if page.view == "kind":
            kind = settings.kinds[page.args[0]]
            return kind.plural + number, f"every {kind.label.lower()}, ranked by UnfragileRank", "Site"
        if page.view == "task":
            task = settings.tasks[page.args[0]]
            return task.label + number, task.description or f"entries for {task.label}, ranked", "Tasks"
        if page.view == "compare_index":
            return "Comparisons" + number, "every side-by-side comparison", "Site"
        if page.view == "pricing":
            label = PRICING_LABELS[page.args[0]]
            return f"Pricing: {label}" + number, f"entries whose pricing is {label.lower()}, ranked", "Site"
        titles = {"home": (settings.title, "the home page: top-ranked entries"),
                  "methodology": ("Methodology", "how UnfragileRank and its sub-scores are computed"),
                  "tasks": ("Tasks", "every task, with how many entries do it"),
                  "search": ("Search", "full-text search (needs JavaScript); the catalog index is the data behind it")}
        title, note = titles.get(page.view, (page.path, ""))
        return title, note, "Site"

    def edit_url(self, entry: Entry) -> str | None:
        repo = self.project.settings.repository
        if repo is None:
            return None
        prefix = repo.path.strip("/") + "/" if repo.path.strip("/") else ""
        return f"{repo.url}/edit/{repo.branch}/{prefix}{entry.source}"
