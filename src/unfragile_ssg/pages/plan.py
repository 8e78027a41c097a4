"""Plan every page of the site: URL, template, the data it shows, and a fingerprint of it.

A page's fingerprint (``key``) hashes everything it displays: the site-wide inputs
(settings, templates, assets, the code's version) and the entries it shows, with their
computed scores. The write stage reuses the previous file when the key is unchanged, which
is what makes an incremental build exact rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil
from typing import get_args

from ..catalog.model import Catalog
from ..content.schema import Pricing
from ..fingerprint import fingerprint
from .cards import drawing_digest, entry_card, pair_card
from .urls import CATALOG_PATH, LLMS_PATH, SCHEMA_PATHS, compare_path, entry_path, output_file, paged, passport_path, pricing_path, task_path, twin_path

LIST_PAGE_SIZE = 100
PRICINGS = get_args(Pricing)  # in the schema's order: free, freemium, paid, contact


@dataclass(frozen=True)
class PlannedPage:
    path: str  # URL path under the base path: "" for home, "models/x/" for an entry
    template: str  # a template of the theme or layouts/, or "api:<view>" for a file made in Python (render.api)
    view: str  # which context builder of render.context makes its data
    args: tuple
    key: str
    sources: tuple[str, ...] = ()  # content files shown, named in link-check messages
    output: str = field(init=False, compare=False, repr=False)  # the file it is written to, read many times a build

    def __post_init__(self) -> None:
        object.__setattr__(self, "output", output_file(self.path))


def _pair_fields(pair) -> str:
    """What a page shows of a pair, as text: made once per pair, for the several keys it is in."""
    return repr((pair.a, pair.b, pair.weight, pair.curated, pair.reasons))


def entry_tokens(catalog: Catalog, extra: dict[str, object], pair_fields: dict[int, str]) -> dict[str, str]:
    """Per entry, a fingerprint of everything shown about it anywhere on the site, except its
    place in the overall ranking: only the ranked lists show that, and their keys add it."""
    tokens = {}
    for entry in catalog.entries:
        slug = entry.slug
        tokens[slug] = fingerprint(
            entry.digest,
            catalog.scores[slug],
            [pair_fields[id(p)] for p in catalog.pairs_of[slug]],
            # a breakdown stands for itself by the fingerprint of what it is computed from
            # (equal fingerprints, equal breakdowns: a test in tests/catalog): it is made only
            # for the pages that show it
            catalog.breakdown_inputs(slug),
            extra.get(slug),
        )
    return tokens


def plan_site(catalog: Catalog, kinds: dict, tasks: dict, site_key: str, extra: dict[str, object] | None = None,
              site_title: str | None = None) -> list[PlannedPage]:
    """All pages, in a stable order; with ``site_title``, each entry's and comparison's share card
    (pages.cards) after them: its path fingerprints all it shows, so it is its own key."""
    # by identity: the catalog's pairs, each in several keys, hashed by value far more slowly
    if site_title is not None:  # pages name their cards, whose paths change with the drawing code and Pillow
        site_key = fingerprint(site_key, drawing_digest())
    pair_fields = {id(p): _pair_fields(p) for p in catalog.pairs}
    tokens = entry_tokens(catalog, extra or {}, pair_fields)
    everything = fingerprint(site_key, sorted(tokens.items()), sorted(catalog.position.items()))
    pages: list[PlannedPage] = [
        PlannedPage("", "home.html", "home", (), everything),
        PlannedPage("methodology/", "methodology.html", "methodology", (), everything),
        PlannedPage("tasks/", "tasks.html", "tasks", (), everything),
        PlannedPage("search/", "search.html", "search", (), everything),
        PlannedPage("404.html", "404.html", "not_found", (), everything),
    ]
    def members(by: str, name: str) -> tuple[list[tuple], int]:
        """A list page shows its members' numbers within the list, and how many are ranked."""
        entries = catalog.ranked_members(by, name)
        return [(e.slug, tokens[e.slug]) for e in entries], catalog.ranked_count(entries)

    for kind in kinds:
        pages += _list_pages(kind + "/", "kind", (kind,), *members("kind", kind), site_key)
    for task in tasks:
        pages += _list_pages(task_path(task), "task", (task,), *members("task", task), site_key)
    for pricing in PRICINGS:  # pre-filtered lists: the pricing filter works without JavaScript
        if catalog.ranked_members("pricing", pricing):
            pages += _list_pages(pricing_path(pricing), "pricing", (pricing,), *members("pricing", pricing), site_key)
    # the index shows each pair's names and group: its entries' tokens cover the names
    pairs = [(group, pair_fields[id(p)], tokens[p.a], tokens[p.b]) for group, p in catalog.comparison_index(list(tasks))]
    pages += _list_pages("compare/", "compare_index", (), pairs, len(pairs), site_key)

    for entry in catalog.entries:
        partners = [(p.slug, tokens[p.other(entry.slug)]) for p in catalog.pairs_of[entry.slug]]
        pages.append(
            PlannedPage(
                entry_path(entry.kind, entry.slug), "entry.html", "entry", (entry.slug,),
                fingerprint(site_key, tokens[entry.slug], partners), (entry.source,),
            )
        )
    for index, pair in enumerate(catalog.pairs):
        a, b = catalog.by_slug[pair.a], catalog.by_slug[pair.b]
        pages.append(
            PlannedPage(
                compare_path(pair), "compare.html", "compare", (index,),
                fingerprint(site_key, tokens[pair.a], tokens[pair.b], pair_fields[id(pair)]), (a.source, b.source),
            )
        )
    pages = pages + twin_pages(pages) + data_pages(catalog, tokens, site_key, everything)
    if site_title is not None:
        cards = [entry_card(catalog, kinds, site_title, e.slug) for e in catalog.entries]
        cards += [pair_card(catalog, kinds, site_title, pair) for pair in catalog.pairs]
        pages += [PlannedPage(card.path, "", "card", (card,), card.path) for card in cards]
    return pages


def twin_pages(pages: list[PlannedPage]) -> list[PlannedPage]:
    """The markdown twin of every HTML page (``index.md`` beside ``index.html``): the same view
    and data, through ``agent/<view>.md``; it shows what its page shows, so it has its key."""
    return [
        PlannedPage(twin, f"agent/{page.view}.md", page.view, page.args, page.key, page.sources)
        for page in pages if (twin := twin_path(page.path)) is not None
    ]


def data_pages(catalog: Catalog, tokens: dict[str, str], site_key: str, everything: str) -> list[PlannedPage]:
    """The catalog as data (render.api): a passport per entry, the catalog index, their JSON
    Schemas, and llms.txt. A passport shows its entry and the names of those it is compared with."""
    pages = [
        PlannedPage(CATALOG_PATH, "api:catalog", "catalog", (), everything),
        *(PlannedPage(path, "api:schema", "schema", (name,), site_key) for name, path in sorted(SCHEMA_PATHS.items())),
        PlannedPage(LLMS_PATH, "agent/llms.txt", "llms", (), everything),
    ]
    for entry in catalog.entries:
        partners = [(p.slug, tokens[p.other(entry.slug)]) for p in catalog.pairs_of[entry.slug]]
        pages.append(PlannedPage(passport_path(entry.slug), "api:passport", "passport", (entry.slug,),
                                 fingerprint(site_key, "passport", tokens[entry.slug], partners), (entry.source,)))
    return pages


def _list_pages(path: str, view: str, args: tuple, members: list, ranked: int, site_key: str) -> list[PlannedPage]:
    """A ranked list in pages of LIST_PAGE_SIZE (the ranked members first, then the others);
    each page's key covers the members it shows (with their fingerprints), its number and the
    totals, so an edit re-renders only the pages where something it shows moved or changed."""
    count = max(1, ceil(len(members) / LIST_PAGE_SIZE))
    pages = []
    for n in range(1, count + 1):
        shown = members[(n - 1) * LIST_PAGE_SIZE : n * LIST_PAGE_SIZE]
        key = fingerprint(site_key, view, args, n, count, len(members), ranked, shown)
        pages.append(PlannedPage(paged(path, n), f"{view}.html", view, args + (n, count), key))
    return pages
