"""``unfragile import manifest``: a new entry from a builder's ``unfragile.yml``.

The Unfragile Capability Protocol manifest describes an artifact (name, slug, type, maintainer,
repository, homepage, license), its capabilities (id, name, description, intents served,
conditions, unique aspect), pricing, failure modes and how it is executed. What the entry's
fields can hold goes there (capabilities with their ids, intents and conditions; failure modes); the rest (execution,
fields this version does not know) is written into the overview under "From the builder's
manifest", so nothing the builder said is lost before the content model can hold it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from typing_extensions import Annotated

from ..config import MAX_SLUG, Project
from ..content.schema import Pricing, Slug, Url
from ..errors import Problem, SiteError
from ..validation import validate_model
from ..yamldoc import YamlProblem, load_with_positions
from .importers import dump_yaml, entry_path, first_sentence, resolve_kind, write_entry
from .vocabulary import site_task

MAX_MANIFEST_BYTES = 256 * 1024
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Items = list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]]


class _Open(BaseModel):
    """Fields a later manifest version adds are kept (and shown), not refused."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Conditions(_Open):
    bestFor: Items = Field(default_factory=list, max_length=50)
    limitations: Items = Field(default_factory=list, max_length=50)
    requires: Items = Field(default_factory=list, max_length=50)


class ManifestCapability(_Open):
    id: Line
    name: Line
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=100, max_length=4000)]
    intents_served: list[Line] = Field(default_factory=list, max_length=30)
    conditions: Conditions = Field(default_factory=Conditions)
    unique_aspect: Text | None = None


class Artifact(_Open):
    name: Line
    slug: Slug
    type: Line
    maintainer: Line
    repository: Url | None = None
    homepage: Url | None = None
    license: Line
    description: Text | None = None


class PricingDetails(_Open):
    model: Pricing
    free: bool | None = None
    starting_price: Line | float | None = None


class FailureMode(_Open):
    mode: Text
    frequency: Line | None = None
    mitigation: Text | None = None


class Manifest(_Open):
    unfragile_version: Line | float | int
    artifact: Artifact
    capabilities: list[ManifestCapability] = Field(min_length=1, max_length=60)
    pricing: Annotated[PricingDetails, BeforeValidator(lambda v: {"model": v} if isinstance(v, str) else v)] = Field(
        description="'free', 'freemium', 'paid' or 'contact', or a mapping with that as 'model'")
    failure_modes: list[FailureMode] = Field(default_factory=list, max_length=50)
    execution: dict[str, Any] | Text | None = None


def read_manifest(path: Path, shown: str) -> tuple[Manifest, Any]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SiteError(Problem(shown, 0, 0, f"cannot read the manifest ({error.strerror}): check the path")) from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise SiteError(Problem(shown, 1, 1, f"the manifest is {len(raw)} bytes, more than {MAX_MANIFEST_BYTES}: is it the right file?"))
    try:
        data, positions = load_with_positions(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError:
        raise SiteError(Problem(shown, 1, 1, "the manifest is not UTF-8: save it as UTF-8")) from None
    except YamlProblem as problem:
        raise SiteError(Problem(shown, problem.line, problem.col, problem.message)) from None
    if not isinstance(data, dict):
        raise SiteError(Problem(shown, 1, 1, "the manifest must be a mapping with 'unfragile_version', 'artifact' and 'capabilities'"))
    manifest, problems = validate_model(Manifest, data, positions, shown)
    if manifest is None:
        raise SiteError(problems)
    return manifest, positions


def import_manifest_file(project: Project, path: Path, *, kind: str | None = None, slug: str | None = None,
                         today: dt.date | None = None) -> tuple[Path, list[Problem]]:
    shown = project.display(path.resolve()) if path.is_absolute() else path.as_posix()
    manifest, positions = read_manifest(path, shown)
    artifact = manifest.artifact
    at = lambda *where: Problem(shown, *positions.of(where), "")  # noqa: E731 - a position for messages
    kind = resolve_kind(project, kind, artifact.type, where=at("artifact", "type"))
    target = entry_path(project, kind, slug or artifact.slug, where=None if slug else at("artifact", "slug"))
    tasks_known = project.settings.tasks
    warnings: list[Problem] = []
    capabilities, all_tasks = [], []
    for i, capability in enumerate(manifest.capabilities):
        tasks = list(dict.fromkeys(t for t in (site_task(intent, tasks_known) for intent in capability.intents_served) if t))
        unmapped = [intent for intent in capability.intents_served if site_task(intent, tasks_known) is None]
        if unmapped:
            warnings.append(Problem(shown, *positions.of(("capabilities", i, "intents_served")), (
                f"intents {', '.join(repr(u) for u in unmapped)} are none of the site's tasks: kept as the capability's intents"), severity="warning"))
        all_tasks += tasks
        item: dict[str, Any] = {"name": capability.name, "description": capability.description}
        if capability_id := _slug_of(capability.id):
            item["id"] = capability_id  # the capability:// URI the builder chose, whatever the name becomes
        if capability.unique_aspect:
            item["unique"] = capability.unique_aspect
        if tasks:
            item["tasks"] = tasks
        for field, items in (("intents", capability.intents_served), ("best_for", capability.conditions.bestFor),
                             ("limitations", capability.conditions.limitations), ("requires", capability.conditions.requires)):
            if items:
                item[field] = list(items)
        capabilities.append(item)
    tasks = list(dict.fromkeys(all_tasks))
    if not tasks:
        raise SiteError(Problem(shown, *positions.of(("capabilities",)), (
            "no capability's intents_served names a task of this site: add one of "
            f"{', '.join(tasks_known)} to a capability's intents_served")))
    if not manifest.failure_modes:
        warnings.append(Problem(shown, 1, 1, "the manifest lists no failure_modes: readers will not know when it fails", severity="warning"))
    if len(manifest.capabilities) < 3:
        warnings.append(Problem(shown, *positions.of(("capabilities",)), "fewer than 3 capabilities", severity="warning"))
    pricing = manifest.pricing.model
    links = {k: v for k, v in (("homepage", artifact.homepage), ("source", artifact.repository)) if v}
    front: dict[str, Any] = {
        "title": artifact.name,
        "summary": first_sentence(artifact.description or manifest.capabilities[0].description),
        "publisher": artifact.maintainer,
        "license": artifact.license,
        "pricing": pricing,
        "links": links,
        "tasks": tasks,
        "capabilities": capabilities,
    }
    if manifest.failure_modes:
        front["failure_modes"] = [{k: v for k, v in (("mode", f.mode), ("frequency", f.frequency), ("mitigation", f.mitigation)) if v}
                                  for f in manifest.failure_modes]
    today = today or dt.datetime.now(dt.timezone.utc).date()
    write_entry(project, kind, target, front, _overview(manifest, path.name, today))
    return target, warnings


def _slug_of(text: str) -> str | None:
    """A manifest's capability id as an entry's (a slug): 'cap_0' -> 'cap-0'; None if nothing is left."""
    made = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:MAX_SLUG]
    return made.strip("-") or None


def _one_line(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _overview(manifest: Manifest, name: str, today: dt.date) -> str:
    artifact = manifest.artifact
    lines = []
    if artifact.description:
        lines += [" ".join(artifact.description.split()), ""]
    lines += [
        "## From the builder's manifest", "",
        f"Imported from `{name}` (Unfragile Capability Protocol {manifest.unfragile_version}) on {today.isoformat()}. "
        "The capabilities (with their intents, conditions and ids) and the failure modes are in the entry's fields; "
        "what they cannot hold is kept here as the builder wrote it.", "",
    ]
    extras = [(c, _extra(c, "  - ") + _extra(c.conditions, "  - ")) for c in manifest.capabilities]
    if any(more for _, more in extras):
        lines += ["### Capabilities", ""]
        for capability, more in extras:
            if more:
                lines += [f"- **{_one_line(capability.name)}** (`{_one_line(capability.id)}`)", *more]
        lines.append("")
    pricing = manifest.pricing
    if pricing.free is not None or pricing.starting_price is not None or pricing.model_extra:
        lines += ["### Pricing", "", f"- Model: {pricing.model}"]
        if pricing.free is not None:
            lines.append(f"- Free tier: {'yes' if pricing.free else 'no'}")
        if pricing.starting_price is not None:
            lines.append(f"- Starting price: {_one_line(pricing.starting_price)}")
        lines += _extra(pricing, "- ") + [""]
    if manifest.execution is not None:
        lines += ["### Execution", "", "```yaml", _yaml(manifest.execution).rstrip().replace("```", "'''"), "```", ""]
    rest = {**(manifest.model_extra or {}), **{f"artifact.{k}": v for k, v in (artifact.model_extra or {}).items()}}
    if rest:
        lines += ["### Other fields", "", "```yaml", _yaml(rest).rstrip().replace("```", "'''"), "```", ""]
    return "\n".join(lines)


def _extra(model: BaseModel, prefix: str) -> list[str]:
    return [f"{prefix}{_one_line(key)}: {_one_line(value)}" for key, value in (model.model_extra or {}).items()]


def _yaml(value: Any) -> str:
    return dump_yaml(value) if not isinstance(value, str) else value
