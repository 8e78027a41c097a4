"""The entry schema: the single source of truth for what an entry's front matter may hold.

It validates entries (``content.validate``) and is exported as JSON Schema by
``unfragile schema`` so that editors get completion and errors while typing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ..config import MAX_SLUG, SLUG, is_slug, visible_name
from ..errors import invisible_character

# no space, no quote or bracket that would end an attribute, no control or invisible character
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d+)?(?:[/?#][^\s<>\"\x00-\x1f\x7f-\x9f\u200b-\u200d\u202a-\u202e\u2060\u2066-\u2069\ufeff]*)?$")


def _check_url(value: str) -> str:
    if not _URL.fullmatch(value):
        raise ValueError(f"'{value}' is not a web address: write it as https://host/path")
    return value


def _check_slug(value: str) -> str:
    if not is_slug(value):
        found = invisible_character(value)
        raise ValueError(f"'{value}' {found}: remove it" if found else f"'{value}' is not a slug: use lower-case letters, digits and dashes")
    return value


Url = Annotated[str, Field(max_length=2000, json_schema_extra={"format": "uri", "pattern": _URL.pattern}), AfterValidator(_check_url)]
Slug = Annotated[str, Field(max_length=MAX_SLUG, json_schema_extra={"pattern": SLUG}), AfterValidator(_check_slug)]
# one line of text shown as a name (a title, a publisher, a capability): nothing invisible in it
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(visible_name)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
# Relative path components or a hub id ("owner/name"): no absolute paths, no "..", no spaces.
MODEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$"


def _check_model_name(value: str) -> str:
    if not re.fullmatch(MODEL_NAME, value) or ".." in value:
        raise ValueError(f"'{value}' is not a model folder or hub id: write a folder relative to the site root "
                         "(e.g. 'shapes/model') or a hub id (e.g. 'Salesforce/blip-image-captioning-base')")
    return value


ModelName = Annotated[str, Field(max_length=200, json_schema_extra={"pattern": MODEL_NAME}), AfterValidator(_check_model_name)]
Pricing = Literal["free", "freemium", "paid", "contact"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Links(Strict):
    homepage: Url | None = None
    source: Url | None = Field(None, description="Source repository.")
    paper: Url | None = None
    model_card: Url | None = None
    docs: Url | None = Field(None, description="Documentation.")
    demo: Url | None = None


class Count(Strict):
    """A dated count taken from a public page."""

    value: int = Field(ge=0)
    as_of: dt.date = Field(description="The day the value was read.")
    source: Url = Field(description="The page the value was read from.")


class Size(Strict):
    value: int = Field(ge=0)
    source: Url


class Day(Strict):
    value: dt.date
    source: Url


class Benchmark(Strict):
    """A published result on a named benchmark."""

    name: Line = Field(description="Benchmark and split, e.g. 'COCO Karpathy test'.")
    metric: Line = Field(description="Metric, e.g. 'CIDEr'.")
    value: float
    higher_is_better: bool = True
    source: Url


class Signals(Strict):
    """Raw, dated evidence with its source. Scores are computed from these, never typed in."""

    downloads: Count | None = Field(None, description="Downloads in the last month (model hub).")
    likes: Count | None = Field(None, description="Likes on the model hub.")
    stars: Count | None = Field(None, description="Stars of the source repository.")
    forks: Count | None = None
    contributors: Count | None = None
    open_issues: Count | None = Field(None, description="Open issues and pull requests of the source repository "
                                      "(GitHub counts both).")
    dependents: Count | None = Field(None, description="Fine-tunes, adapters or projects built on it.")
    citations: Count | None = Field(None, description="Citations of its paper.")
    parameters: Size | None = Field(None, description="Parameter count.")
    released: Day | None = None
    updated: Day | None = Field(None, description="Last update of weights or content.")
    pushed: Day | None = Field(None, description="Last push to the source repository, when that repository is not "
                               "where the artifact itself is published (else it is 'updated').")
    latest_release: Day | None = Field(None, description="Day of the source repository's latest release; the source "
                                       "is the release's page.")
    benchmarks: list[Benchmark] = Field(default_factory=list, max_length=50)


# one item of a capability's lists (who it suits, a limitation, a requirement): a sentence or two
Item = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class Capability(Strict):
    id: Slug | None = Field(None, description="A stable name for the capability, e.g. 'image-captioning': its "
                            "capability:// URI is made of it (else of the name), so declaring it keeps the URI when "
                            "the name changes.")
    name: Line
    description: Text
    unique: Text | None = Field(None, description="What this entry does that others do not.")
    vs_alternatives: Text | None = Field(None, description="How it compares with the alternatives.")
    tasks: list[Slug] = Field(default_factory=list, max_length=20)
    intents: list[Line] = Field(default_factory=list, max_length=30,
                                description="The needs it serves, in a user's words ('caption photos for alt text').")
    best_for: list[Item] = Field(default_factory=list, max_length=50, description="Who or what it suits best.")
    limitations: list[Item] = Field(default_factory=list, max_length=50, description="Where it falls short, as its publisher documents.")
    requires: list[Item] = Field(default_factory=list, max_length=50, description="What it needs to run (hardware, software, accounts).")


class FailureMode(Strict):
    """A way the artifact is known to fail, how often, and what to do about it."""

    mode: Text
    frequency: Line | None = Field(None, description="How often, in words or as a figure ('rare', 'on most low-light photos').")
    mitigation: Text | None = None


ImagePath = Annotated[str, Field(max_length=300)]


class Sample(Strict):
    """An image for the captioning step, with the terms it may be shown under."""

    image: ImagePath = Field(description="Path relative to the entry file.")
    credit: Line
    license: Line
    source: Url | None = None


class EntryHead(Strict):
    """Every field of an entry but its capabilities: all that the catalog and the list pages
    read. The capabilities are most of what an entry weighs (``content.validate.Fields``)."""

    title: Line
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), AfterValidator(visible_name)] = Field(
        description="One sentence, used in cards and the meta description."
    )
    publisher: Line
    license: Line = Field(description="SPDX identifier where one exists, e.g. 'BSD-3-Clause'.")
    pricing: Pricing
    operating_systems: list[Line] = Field(
        default_factory=list, max_length=20,
        description="The operating systems it runs on, as its own documentation states them (e.g. 'Linux', 'macOS', "
        "'Windows'). Published as schema.org's operatingSystem on software entries; left out when empty, never guessed.",
    )
    links: Links = Field(default_factory=Links)
    tasks: list[Slug] = Field(min_length=1, max_length=20, description="From the tasks in unfragile.yaml.")
    tags: list[Slug] = Field(default_factory=list, max_length=30)
    signals: Signals = Field(default_factory=Signals)
    compare_with: list[Slug] = Field(default_factory=list, max_length=50, description="Slugs of entries to compare with.")
    samples: list[Sample] = Field(default_factory=list, max_length=20)
    captioner: ModelName | None = Field(
        None,
        description="The model that captions this entry's samples, when not the site's captions.model: "
        "a folder relative to the site root (e.g. 'shapes/model') or a Hugging Face hub id.",
    )
    failure_modes: list[FailureMode] = Field(default_factory=list, max_length=50,
                                             description="Known ways it fails, how often, and the mitigation.")
    captions_pending: Line | None = Field(
        None,
        description="Why this entry's samples have no stored caption yet (e.g. its model's weights cannot be "
        "downloaded where the site is built). While a caption is missing, builds neither load the model nor warn, "
        "and the page says the captions are pending; `unfragile captions` on a machine that can load the model "
        "fills the caption store, and the captions then show.",
    )


class EntryFields(EntryHead):
    """The front matter of a catalog entry."""

    capabilities: list[Capability] = Field(default_factory=list, max_length=60)


def json_schema(task_names: list[str] | None = None) -> dict:
    """The entry schema as JSON Schema (draft 2020-12), with the site's task vocabulary."""
    schema = EntryFields.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "unfragile-ssg entry front matter"
    if task_names:
        enum = {"type": "string", "enum": sorted(task_names)}
        schema["properties"]["tasks"]["items"] = enum
        schema["$defs"]["Capability"]["properties"]["tasks"]["items"] = enum
    return schema
