"""Site settings: ``unfragile.yaml`` at the project root, and the paths found from it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, NamedTuple
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from .errors import Problem, SiteError, did_you_mean, display_path, invisible_character
from .paths import link_problem
from .yamldoc import YamlProblem, load_with_positions
from .validation import validate_model

SLUG = r"^[a-z0-9]+(?:[-._][a-z0-9]+)*$"
MAX_SLUG = 100  # characters: two slugs and "-vs-" make a comparison page's folder, within the 255 a file name may have
MAX_SETTINGS_BYTES = 1_000_000


def is_slug(value: str) -> bool:
    """The whole of ``value`` is a slug (``re.match`` with ``$`` would let a final newline pass)."""
    return re.fullmatch(SLUG, value) is not None


def slug_length_error(value: str) -> str | None:
    return f"is {len(value)} characters; the limit is {MAX_SLUG}" if len(value) > MAX_SLUG else None


def visible_name(value: str) -> str:
    """A validator for text shown as a name: no character that hides or reorders what it shows."""
    found = invisible_character(value)
    if found:
        raise ValueError(f"{found}: remove it")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Name = Annotated[str, AfterValidator(visible_name)]


class KindSettings(Strict):
    """One kind of entry; its folder under ``content/`` is the key in ``kinds``."""

    label: Name = Field(description="Singular name shown in tables, e.g. 'Model'.")
    plural: Name = Field(description="Plural name for headings and navigation, e.g. 'Models'.")
    schema_org: str = Field("CreativeWork", description="schema.org type for structured data.")

    @property
    def noun(self) -> str:
        """The plural in running text: 'does not apply to prompts' (an acronym keeps its case)."""
        plural = self.plural
        return plural if plural[:2].isupper() else plural[:1].lower() + plural[1:]


class TaskSettings(Strict):
    label: Name
    description: str = ""


class RepositorySettings(Strict):
    url: str = Field(description="Web address of the repository that holds the content.")
    branch: str = "main"
    path: str = Field("", description="Folder of the site inside the repository, if not its root.")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^/\s]+(?:/\S*)?", value):
            raise ValueError("must be an http(s) URL such as https://github.com/org/catalog")
        return value.rstrip("/")


SubScore = Literal["adoption", "quality", "ecosystem", "match_graph"]
SUBSCORE_NAMES: tuple[SubScore, ...] = ("adoption", "quality", "ecosystem", "match_graph")
CountSignal = Literal["downloads", "likes", "stars", "forks", "contributors", "dependents", "citations"]
LinkName = Literal["homepage", "source", "paper", "model_card", "docs", "demo"]


class LogScale(Strict):
    """A count scored on a log scale: ``floor`` or less scores 0, ``ceiling`` or more scores 100."""

    weight: float = Field(gt=0, description="Weight of this signal inside its sub-score.")
    floor: int = Field(0, ge=0)
    ceiling: int = Field(gt=0)

    @model_validator(mode="after")
    def _order(self) -> "LogScale":
        if self.ceiling <= self.floor:
            raise ValueError("ceiling must be larger than floor")
        return self


def _adoption_defaults() -> dict:
    return {
        "downloads": LogScale(weight=0.5, floor=100, ceiling=10_000_000),
        "likes": LogScale(weight=0.25, floor=1, ceiling=10_000),
        "stars": LogScale(weight=0.25, floor=1, ceiling=100_000),
    }


def _community_defaults() -> dict:
    return {
        "forks": LogScale(weight=0.1, floor=1, ceiling=10_000),
        "contributors": LogScale(weight=0.1, floor=1, ceiling=1_000),
        "dependents": LogScale(weight=0.15, floor=1, ceiling=10_000),
        "citations": LogScale(weight=0.15, floor=1, ceiling=10_000),
    }


def _licence_defaults() -> dict:
    permissive = ["MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "CC0-1.0", "CC-BY-4.0", "Unlicense"]
    copyleft = ["MPL-2.0", "LGPL-3.0", "GPL-2.0", "GPL-3.0", "AGPL-3.0", "CC-BY-SA-4.0"]
    restricted = ["CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", "Llama 2 Community License", "Llama 3 Community License", "Gemma Terms of Use", "OpenRAIL-M", "CreativeML-OpenRAIL-M"]
    table = {name: 100.0 for name in permissive} | {name: 75.0 for name in copyleft} | {name: 50.0 for name in restricted}
    return table | {"Proprietary": 0.0}


class QualitySettings(Strict):
    min_reports: int = Field(2, ge=2, description="A benchmark counts once at least this many entries report it.")


class EcosystemSettings(Strict):
    community: dict[CountSignal, LogScale] = Field(default_factory=_community_defaults, description="Counts of what is built on it.")
    documentation_weight: float = Field(0.2, ge=0)
    documentation: dict[LinkName, float] = Field(
        default_factory=lambda: {"source": 35.0, "docs": 25.0, "model_card": 25.0, "paper": 15.0},
        description="Points for each link present; they should add up to 100.",
    )
    licence_weight: float = Field(0.15, ge=0)
    licences: dict[str, float] = Field(default_factory=_licence_defaults, description="Score of each licence (case-insensitive); others: insufficient data.")
    recency_weight: float = Field(0.15, ge=0)
    half_life_days: int = Field(730, ge=1, description="Days after which the recency score halves.")

    @field_validator("documentation", "licences")
    @classmethod
    def _points(cls, value: dict) -> dict:
        for name, points in value.items():
            if not 0 <= points <= 100:
                raise ValueError(f"'{name}': points must be between 0 and 100")
        return value


class KindScoring(Strict):
    """Which sub-scores UnfragileRank reads for one kind of entry (``scoring.kinds.<kind>``)."""

    subscores: list[SubScore] = Field(
        default_factory=lambda: list(SUBSCORE_NAMES), min_length=1,
        description="The sub-scores that apply to this kind; the others are not computed for it, "
        "show as 'does not apply', and are left out of its rank and its weights.",
    )
    min_subscores: int | None = Field(
        None, ge=1,
        description="How many of these sub-scores a rank needs; default: scoring.min_subscores, "
        "or all of them when fewer apply.",
    )

    @field_validator("subscores")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        repeated = sorted({name for name in value if value.count(name) > 1})
        if repeated:
            raise ValueError(f"'{repeated[0]}' is listed twice: name each sub-score once")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> "KindScoring":
        applying = len(self.subscores)
        if self.min_subscores is not None and self.min_subscores > applying:
            some = "1 sub-score applies" if applying == 1 else f"{applying} sub-scores apply"
            raise _located("KindScoring", [FieldError(("min_subscores",),
                f"{self.min_subscores} sub-scores asked for, but only {some}: no entry could be ranked; "
                f"lower it to {applying} or less")])
        return self


class ScoringSettings(Strict):
    """Weights and normalisation of UnfragileRank (see the methodology page)."""

    version: str = "1"
    weights: dict[SubScore, float] = Field(
        default_factory=lambda: {"adoption": 0.3, "quality": 0.3, "ecosystem": 0.2, "match_graph": 0.2}
    )
    min_subscores: int = Field(
        3, ge=1, le=4,
        description="UnfragileRank needs at least this many of the sub-scores that apply to an entry's kind, or all of them "
        "where fewer apply (Ecosystem and Match Graph exist for nearly every entry, so 3 also asks for Adoption or Quality).",
    )
    kinds: dict[str, KindScoring] = Field(
        default_factory=dict,
        description="Per kind of entry (a key of 'kinds'), the sub-scores that apply to it; a kind not named here: all four.",
    )
    tie_margin: float = Field(2.0, ge=0, description="Differences of shown (whole-number) scores at or below this are ties.")
    adoption: dict[CountSignal, LogScale] = Field(default_factory=_adoption_defaults)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    ecosystem: EcosystemSettings = Field(default_factory=EcosystemSettings)
    as_of: dt.date | None = Field(None, description="Reference day for recency; default: the newest date in the catalog.")
    example: str | None = Field(None, description="Slug of the worked example on the methodology page.")

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict) -> dict:
        if any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
            raise ValueError("weights must be zero or more, and not all zero")
        return value

    def applies(self, kind: str) -> tuple[str, ...]:
        """The sub-scores that apply to ``kind``, in the order of SUBSCORE_NAMES."""
        rule = self.kinds.get(kind)
        return SUBSCORE_NAMES if rule is None else tuple(n for n in SUBSCORE_NAMES if n in rule.subscores)

    def needed(self, kind: str) -> int:
        """How many of the sub-scores that apply to ``kind`` its rank needs."""
        rule = self.kinds.get(kind)
        if rule is not None and rule.min_subscores is not None:
            return rule.min_subscores
        return min(self.min_subscores, len(self.applies(kind)))


class MatchSettings(Strict):
    """How the match graph picks each entry's comparisons."""

    neighbours: int = Field(3, ge=0, le=50, description="Strongest k neighbours kept per entry.")
    threshold: float = Field(0.15, ge=0, le=1, description="Minimum similarity for an edge.")
    task_weight: float = Field(0.5, ge=0, le=1, description="Share of the similarity from shared tasks; the rest is text (TF-IDF).")
    cross_kind: float = Field(0.5, ge=0, le=1, description="Similarity multiplier for entries of different kinds (a model and a prompt collection); curated pairs always count.")
    full_strength: float = Field(
        3.0, gt=0, le=1000,
        description="Weighted degree (the sum of an entry's edge weights) that scores 100 on Match Graph; "
        "less scores in proportion. A fixed scale, so that an edit elsewhere leaves an entry's score alone.")
    sketch_dims: int = Field(256, ge=16, le=4096, description="Width of the text sketch that proposes candidate neighbours in big catalogs.")
    candidates: int = Field(32, ge=1, le=1000, description="Candidates per entry, rescored exactly, in big catalogs.")


class RaySettings(Strict):
    """Where and how ``captions.engine: ray`` runs the model (see README, Captions on a Ray cluster)."""

    address: str | None = Field(None, description="Ray cluster to join (ray://host:10001, host:6379 or auto); "
                                "default: RAY_ADDRESS, else a Ray started for the run on this machine.")
    workers: int = Field(2, ge=1, le=10000, description="Actors, each with the model loaded once.")
    batch_size: int | None = Field(None, ge=1, le=256, description="Images per task sent to a worker (default: captions.batch_size).")
    num_cpus: float = Field(1, gt=0, le=256, description="CPUs each worker reserves; torch runs that many threads in it.")
    num_gpus: float | None = Field(None, ge=0, le=16, description="GPUs each worker reserves; default: 1 when the cluster has GPUs, else 0.")


class CaptionSettings(Strict):
    """The build-time captioning step (BLIP through transformers); see ``unfragile captions``."""

    model: str = Field("Salesforce/blip-image-captioning-base", description="Hub id, or a local folder written by save_pretrained (relative to the site).")
    revision: str | None = Field(None, description="Hub revision (a commit is best: it is part of the caption store's key).")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    batch_size: int = Field(4, ge=1, le=256, description="Images generated together (results do not depend on it).")
    threads: int | None = Field(None, ge=1, le=1024, description="CPU threads for torch; default: the cores this process may use (its CPU affinity).")
    precision: Literal["fp32", "bf16", "int8"] = Field(
        "fp32", description="fp32 as published; bf16; or int8 (dynamic quantization of the linear layers, CPU only). "
        "Lower precision is faster on some machines and may change captions: part of the caption store's key.")
    decoding: Literal["greedy", "beam", "sample"] = Field("greedy", description="greedy, beam search, or nucleus sampling.")
    num_beams: int = Field(3, ge=1, le=16, description="Beam width, for decoding: beam.")
    top_p: float = Field(0.9, gt=0, le=1, description="Nucleus size, for decoding: sample.")
    seed: int = Field(0, description="Random seed, for decoding: sample (each image is seeded alone).")
    max_new_tokens: int = Field(30, ge=1, le=200)
    min_new_tokens: int = Field(1, ge=0, le=200)
    prompt: str | None = Field(None, description="Conditional captioning prefix, e.g. 'a picture of'.")
    heatmap: Literal["gradcam-layers", "relevance", "gradcam", "attention"] = Field(
        "gradcam-layers", description=(
            "gradcam-layers: gradient-weighted cross-attention summed over the decoder's layers; relevance: relevance "
            "propagated across layers (Chefer et al. 2021); gradcam: the same as gradcam-layers for the last layer "
            "only; attention: raw cross-attention, mean over heads and layers. Pointing-game scores of each: "
            "shapes/scores.json."),
    )
    colormap: Literal["viridis", "inferno"] = Field("viridis", description="Perceptually uniform colormap of the heatmaps.")
    store: str = Field("captions", description="Folder of the caption store, relative to the site.")
    engine: Literal["local", "ray"] = Field("local", description="local: the model runs in this process; ray: on Ray workers (pip install 'unfragile-ssg[ray]').")
    ray: RaySettings = RaySettings()

    @field_validator("store")
    @classmethod
    def _inside(cls, value: str) -> str:
        parts = value.replace("\\", "/").split("/")
        if not value or value.startswith(("/", "~")) or ":" in parts[0] or ".." in parts:
            raise ValueError(f"'{value}' must be a folder inside the site, relative to unfragile.yaml (e.g. captions)")
        return value

    @model_validator(mode="after")
    def _token_range(self) -> "CaptionSettings":
        if self.min_new_tokens > self.max_new_tokens:
            raise ValueError("min_new_tokens must not be larger than max_new_tokens")
        return self


def _yaml_switch(value: object) -> object:
    """YAML reads a bare ``off`` (and ``no``) as false: that is 'off' too, and true is 'warn'."""
    return {False: "off", True: "warn"}.get(value, value) if isinstance(value, bool) else value


class CheckSettings(Strict):
    # off unless a site asks: every catalog written before capabilities could hold limitations
    # would fail `check --strict` the day it upgraded
    protocol: Annotated[Literal["warn", "off"], BeforeValidator(_yaml_switch)] = Field(
        "off",
        description="warn: check and build warn (fail under --strict) where the Unfragile Capability Protocol's "
        "validator would: a capability description under 100 characters, fewer than 3 capabilities, no limitation "
        "recorded; off (the default): no such warnings.")


class Settings(Strict):
    title: Name = "Unfragile"
    tagline: str = ""
    description: str = ""
    base_url: str = Field("http://localhost:8000/", description="Absolute URL the site is served from.")
    language: str = "en"
    author: str = ""
    footer: str = ""
    repository: RepositorySettings | None = None
    kinds: dict[str, KindSettings] = Field(
        default_factory=lambda: {
            "models": KindSettings(label="Model", plural="Models", schema_org="SoftwareApplication"),
            "prompts": KindSettings(label="Prompt", plural="Prompts", schema_org="CreativeWork"),
        }
    )
    tasks: dict[str, TaskSettings] = Field(default_factory=dict)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    match: MatchSettings = Field(default_factory=MatchSettings)
    captions: CaptionSettings = Field(default_factory=CaptionSettings)
    check: CheckSettings = Field(default_factory=CheckSettings)
    templates: Literal["sandboxed", "trusted"] = Field(
        "sandboxed",
        description="sandboxed: layouts/ and the theme render in Jinja's sandbox (templates arrive by pull request "
        "like content); trusted: without it, for a site whose owner reviews every template change.")

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL such as https://example.org/ or https://example.org/catalog/")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _names(self) -> "Settings":
        for name in list(self.kinds) + list(self.tasks):
            too_long = slug_length_error(name)
            if too_long:
                raise ValueError(f"'{name[:20]}...' {too_long}")
            if not is_slug(name):
                raise ValueError(f"'{name}' must be lower-case letters, digits and dashes")
        return self

    @field_validator("scoring")
    @classmethod
    def _scored_kinds(cls, value: ScoringSettings, info: ValidationInfo) -> ScoringSettings:
        """Each kind named under scoring.kinds exists and can be ranked (reported together)."""
        kinds = info.data.get("kinds")
        errors = []
        for name, rule in value.kinds.items():
            if kinds is not None and name not in kinds:
                errors.append(FieldError(("kinds", name), f"not a kind of entry{did_you_mean(name, list(kinds))}: the kinds "
                                         f"are {', '.join(kinds)} (use one of them, or add the kind under 'kinds')", at_key=True))
            if not any(value.weights.get(n, 0.0) > 0 for n in rule.subscores):
                errors.append(FieldError(("kinds", name, "subscores"),
                               f"every sub-score that applies ({', '.join(rule.subscores)}) has weight 0 in "
                               "'scoring.weights': no entry of this kind could be ranked; give one of them a weight"))
        if errors:
            raise _located("Settings", errors)
        return value

    @property
    def base_path(self) -> str:
        """The path part of ``base_url``: '/' at a domain's root, '/sub/path/' below it."""
        return urlsplit(self.base_url).path or "/"


class FieldError(NamedTuple):
    """A rule found by a validator of the model that holds ``loc``, about the field at ``loc``."""

    loc: tuple
    message: str
    at_key: bool = False  # point at the field's key rather than its value


def _located(title: str, errors: list[FieldError]) -> ValidationError:
    """Errors reported at the fields they are about rather than at the model that found them,
    each at its own line (validation._problem reads the two error types)."""
    return ValidationError.from_exception_data(title, [
        InitErrorDetails(type=PydanticCustomError("at_key" if e.at_key else "located", "{message}", {"message": e.message}),
                         loc=e.loc, input=None)
        for e in errors
    ])


@dataclass(frozen=True)
class Project:
    """A site on disk: its settings and where its inputs are."""

    settings: Settings
    config_path: Path

    @property
    def root(self) -> Path:
        return self.config_path.parent

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def layouts_dir(self) -> Path:
        return self.root / "layouts"

    @property
    def assets_dir(self) -> Path:
        return self.root / "assets"

    @property
    def cache_dir(self) -> Path:
        return self.root / ".unfragile-cache"

    @property
    def caption_store(self) -> Path:
        return self.root / self.settings.captions.store

    def default_output(self) -> Path:
        return self.root / "public"

    def display(self, path: Path) -> str:
        return display_path(path, self.root)


def load_project(config_path: str | Path = "unfragile.yaml") -> Project:
    """Read and validate the settings file; every problem is raised at once as a SiteError."""
    path = Path(config_path).absolute()
    shown = path.name
    if not path.is_file():
        raise SiteError(Problem(str(config_path), 0, 0, "settings file not found: run from the site's root or pass --config FILE"))
    if path.is_symlink() and not path.resolve().is_relative_to(path.parent.resolve()):
        raise SiteError(link_problem(path, lambda link: link.name))
    raw = path.read_bytes()
    if len(raw) > MAX_SETTINGS_BYTES:
        raise SiteError(Problem(shown, 1, 1, f"settings file is larger than {MAX_SETTINGS_BYTES} bytes"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SiteError(Problem(shown, 1, 1, f"not UTF-8 (byte {error.start}): save the file as UTF-8")) from None
    try:
        data, positions = load_with_positions(text)
    except YamlProblem as problem:
        raise SiteError(Problem(shown, problem.line, problem.col, problem.message)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SiteError(Problem(shown, 1, 1, "settings must be a mapping of names to values"))
    settings, problems = validate_model(Settings, data, positions, shown)
    if problems:
        raise SiteError(problems)
    return Project(settings=settings, config_path=path)
