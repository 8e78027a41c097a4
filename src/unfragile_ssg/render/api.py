"""The catalog as data: a passport per entry, the catalog index, and their JSON Schemas.

``/api/v1/passport/<slug>.json`` describes one entry as the live system's trust passport
does (the artifact, its capabilities with stable ``capability://`` URIs, its scores with the
reason wherever one is missing, the signals with their sources, what it is compared with);
``/api/v1/catalog.json`` lists every entry compactly. Both are made from the same catalog as
the HTML pages, written as deterministic bytes (sorted keys, fixed separators), and described
by JSON Schemas published beside them (``/api/v1/schema/``, and ``unfragile schema``).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..catalog.model import SUBSCORE_LABELS, SUBSCORES
from ..catalog.verdict import shown
from ..content.schema import Capability, FailureMode, Signals
from ..pages.urls import CATALOG_PATH, LLMS_PATH, SCHEMA_PATHS, compare_path, entry_path, passport_path, twin_path

API_VERSION = "1"
# the artifact's own address, most specific first
ARTIFACT_LINKS = ("model_card", "homepage", "source", "docs", "paper", "demo")
FREE_PRICING = ("free", "freemium")


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "capability"


def capability_ids(capabilities: list[Capability]) -> list[str]:
    """Each capability's id: the one it declares, or else one made of its name; a made id that
    another capability of the entry already has gets '-2', '-3' (declared ids are never changed)."""
    taken = {c.id for c in capabilities if c.id}
    ids = []
    for capability in capabilities:
        if capability.id:
            ids.append(capability.id)
            continue
        base = _slugify(capability.name)
        made, n = base, 1
        while made in taken:
            n += 1
            made = f"{base}-{n}"
        taken.add(made)
        ids.append(made)
    return ids


def capability_uri(capability_id: str) -> str:
    """``capability://image.captioning``: the id's words, dotted as the live system writes them.
    It names the capability, not the entry, so it survives renaming the entry's file."""
    return "capability://" + ".".join(part for part in capability_id.split("-") if part)


# -- the shapes, as models: they make the JSON Schemas, and every file is made through them --

class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pricing(_Shape):
    model: Literal["free", "freemium", "paid", "contact"]
    free: bool = Field(description="Whether it can be used without paying (free or freemium).")


class Artifact(_Shape):
    id: str
    slug: str
    name: str
    type: str = Field(description="The kind of entry, in the singular ('model', 'prompt').")
    kind: str = Field(description="The site's folder for the kind ('models').")
    summary: str
    publisher: str
    license: str
    url: str | None = Field(description="The artifact's own address (model card, homepage or repository); null if none.")
    page_url: str = Field(description="Its page in this catalog.")
    tasks: list[str]
    tags: list[str]
    pricing: Pricing


class PassportCapability(_Shape):
    id: str = Field(description="'<entry slug>__<capability id>'.")
    uri: str = Field(pattern=r"^capability://[a-z0-9]+(\.[a-z0-9]+)*$",
                     description="Made of the capability's declared id, or else its name: stable across builds and renames of the entry.")
    name: str
    description: str
    unique: str | None
    vs_alternatives: str | None
    tasks: list[str]
    intents: list[str]
    best_for: list[str]
    limitations: list[str]
    requires: list[str]


class Score(_Shape):
    value: float | None = Field(description="0–100, two decimals; null where there is none (see reason).")
    shown: str = Field(description="As the HTML pages show it: a whole number, 'insufficient data' or 'does not apply'.")
    applies: bool = Field(description="False where the sub-score is not computed for the entry's kind.")
    reason: str | None = Field(description="Why value is null; null when there is a value.")


class Scores(_Shape):
    methodology_version: str
    methodology_url: str
    unfragile_rank: Score
    basis: str = Field(description="How many sub-scores the rank rests on, in words.")
    subscores: dict[Literal["adoption", "quality", "ecosystem", "match_graph"], Score]


class Comparison(_Shape):
    slug: str
    name: str
    page_url: str = Field(description="The other entry's page.")
    comparison_url: str = Field(description="The side-by-side comparison page.")
    passport: str


class Links(_Shape):
    self: str
    html: str
    markdown: str
    catalog: str
    schema_: str = Field(alias="schema")


class Passport(_Shape):
    api_version: Literal["1"] = Field(alias="@version")
    artifact: Artifact
    capabilities: list[PassportCapability]
    failure_modes: list[FailureMode]
    scores: Scores
    signals: Signals = Field(description="The raw evidence the scores are computed from, each with its source and date.")
    compared_with: list[Comparison]
    links: Links = Field(alias="_links")


class CatalogScores(_Shape):
    unfragile_rank: float | None
    adoption: float | None
    quality: float | None
    ecosystem: float | None
    match_graph: float | None


class CatalogShown(_Shape):
    unfragile_rank: int | None
    adoption: int | None
    quality: int | None
    ecosystem: int | None
    match_graph: int | None


class CatalogEntry(_Shape):
    slug: str
    name: str
    type: str
    kind: str
    tasks: list[str]
    pricing: Pricing
    scores: CatalogScores = Field(description="null: insufficient data, or the sub-score does not apply (the passport says which).")
    shown: CatalogShown = Field(description="The scores as the pages show them: whole numbers, rounded once from the unrounded score "
                                            "(the verdicts compare these); null as in scores.")
    capability_count: int = Field(ge=0)
    compared_with: list[str] = Field(description="The slugs of the entries it has a comparison page with, sorted; "
                                                 "their number is its times matched.")
    url: str
    passport: str


class CatalogIndex(_Shape):
    api_version: Literal["1"] = Field(alias="@version")
    title: str
    methodology_version: str
    count: int
    entries: list[CatalogEntry]
    links: dict[str, str] = Field(alias="_links")


SHAPES = {"passport": Passport, "catalog": CatalogIndex}


def json_schema(name: str, base_url: str = "") -> dict:
    """The JSON Schema (draft 2020-12) of a passport or of the catalog index."""
    schema = SHAPES[name].model_json_schema(mode="serialization", by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    if base_url:
        schema["$id"] = base_url + SCHEMA_PATHS[name]
    schema["title"] = {"passport": "unfragile-ssg passport", "catalog": "unfragile-ssg catalog index"}[name]
    return schema


def to_bytes(data: Any) -> bytes:
    """Deterministic JSON: sorted keys, fixed separators, UTF-8, one final newline."""
    return (json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def dump(model: BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True)


# -- made from the site context (render.context.SiteContext) --

def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _pricing(pricing: str) -> Pricing:
    return Pricing(model=pricing, free=pricing in FREE_PRICING)  # type: ignore[arg-type]


def _type(context, entry) -> str:
    return context.project.settings.kinds[entry.kind].label.lower()


def scores_of(context, slug: str) -> Scores:
    catalog = context.catalog
    scores = catalog.scores[slug]
    breakdown = None  # made only where a reason is needed: an entry with every score has none

    def explained():
        nonlocal breakdown
        if breakdown is None:
            breakdown = catalog.breakdown(slug)
        return breakdown

    subscores = {}
    for name in SUBSCORES:
        value = scores.get(name)
        if not scores.applies_to(name):
            subscores[name] = Score(value=None, shown="does not apply", applies=False,
                                    reason=f"{SUBSCORE_LABELS[name]} does not apply to {scores.scope}: not computed, and not part of the rank")
        elif value is None:
            subscores[name] = Score(value=None, shown="insufficient data", applies=True, reason=explained().get(name).formula)
        else:
            subscores[name] = Score(value=_round(value), shown=f"{value:.0f}", applies=True, reason=None)
    rank = scores.rank
    settings = context.project.settings.scoring
    return Scores(
        methodology_version=settings.version,
        methodology_url=context.linker.absolute("methodology/"),
        unfragile_rank=Score(value=_round(rank), shown="insufficient data" if rank is None else f"{rank:.0f}", applies=True,
                             reason=explained().formula if rank is None else None),
        basis=scores.basis_text,
        subscores=subscores,
    )


def passport(context, slug: str) -> dict:
    catalog, absolute = context.catalog, context.linker.absolute
    entry = catalog.by_slug[slug]
    head = entry.head
    page = entry_path(entry.kind, slug)
    capabilities = entry.kept.capabilities()
    own_url = next((getattr(head.links, name) for name in ARTIFACT_LINKS if getattr(head.links, name)), None)
    compared = []
    for pair in sorted(catalog.pairs_of[slug], key=lambda p: p.other(slug)):
        other = catalog.by_slug[pair.other(slug)]
        compared.append(Comparison(slug=other.slug, name=other.head.title, page_url=absolute(entry_path(other.kind, other.slug)),
                                   comparison_url=absolute(compare_path(pair)), passport=absolute(passport_path(other.slug))))
    result = Passport(**{
        "@version": API_VERSION,
        "artifact": Artifact(id=slug, slug=slug, name=head.title, type=_type(context, entry), kind=entry.kind, summary=head.summary,
                             publisher=head.publisher, license=head.license, url=own_url, page_url=absolute(page),
                             tasks=list(head.tasks), tags=list(head.tags), pricing=_pricing(head.pricing)),
        "capabilities": [
            PassportCapability(id=f"{slug}__{cid}", uri=capability_uri(cid), name=c.name, description=c.description,
                               unique=c.unique, vs_alternatives=c.vs_alternatives, tasks=list(c.tasks), intents=list(c.intents),
                               best_for=list(c.best_for), limitations=list(c.limitations), requires=list(c.requires))
            for c, cid in zip(capabilities, capability_ids(capabilities))
        ],
        "failure_modes": list(head.failure_modes),
        "scores": scores_of(context, slug),
        "signals": head.signals,
        "compared_with": compared,
        "_links": Links(self=absolute(passport_path(slug)), html=absolute(page), markdown=absolute(twin_path(page)),
                        catalog=absolute(CATALOG_PATH), schema=absolute(SCHEMA_PATHS["passport"])),
    })
    return dump(result)


def catalog_index(context) -> dict:
    catalog, absolute = context.catalog, context.linker.absolute
    entries = []
    for entry in catalog.entries:
        scores = catalog.scores[entry.slug]
        entries.append(CatalogEntry(
            slug=entry.slug, name=entry.head.title, type=_type(context, entry), kind=entry.kind, tasks=list(entry.head.tasks),
            pricing=_pricing(entry.head.pricing),
            scores=CatalogScores(unfragile_rank=_round(scores.rank), **{n: _round(scores.get(n)) for n in SUBSCORES}),
            shown=CatalogShown(unfragile_rank=shown(scores.rank), **{n: shown(scores.get(n)) for n in SUBSCORES}),
            capability_count=entry.kept.capability_count,
            compared_with=sorted(pair.other(entry.slug) for pair in catalog.pairs_of[entry.slug]),
            url=absolute(entry_path(entry.kind, entry.slug)), passport=absolute(passport_path(entry.slug)),
        ))
    settings = context.project.settings
    result = CatalogIndex(**{
        "@version": API_VERSION, "title": settings.title, "methodology_version": settings.scoring.version,
        "count": len(entries), "entries": entries,
        "_links": {"self": absolute(CATALOG_PATH), "schema": absolute(SCHEMA_PATHS["catalog"]),
                   "passport_schema": absolute(SCHEMA_PATHS["passport"]), "llms_txt": absolute(LLMS_PATH)},
    })
    return dump(result)
