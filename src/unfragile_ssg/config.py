"""Site settings: ``unfragile.yaml`` at the project root, and the paths found from it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import Problem, SiteError, display_path
from .yamldoc import YamlProblem, load_with_positions
from .validation import validate_model

SLUG = r"^[a-z0-9]+(?:[-._][a-z0-9]+)*$"
MAX_SETTINGS_BYTES = 1_000_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KindSettings(Strict):
    """One kind of entry; its folder under ``content/`` is the key in ``kinds``."""

    label: str = Field(description="Singular name shown in tables, e.g. 'Model'.")
    plural: str = Field(description="Plural name for headings and navigation, e.g. 'Models'.")
    schema_org: str = Field("CreativeWork", description="schema.org type for structured data.")


class TaskSettings(Strict):
    label: str
    description: str = ""


class RepositorySettings(Strict):
    url: str = Field(description="Web address of the repository that holds the content.")
    branch: str = "main"
    path: str = Field("", description="Folder of the site inside the repository, if not its root.")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL such as https://github.com/org/catalog")
        return value.rstrip("/")


class ScoringSettings(Strict):
    """Weights and normalisation of UnfragileRank (see the methodology page)."""

    version: str = "1"
    weights: dict[Literal["adoption", "quality", "ecosystem", "match_graph"], float] = Field(
        default_factory=lambda: {"adoption": 0.3, "quality": 0.3, "ecosystem": 0.2, "match_graph": 0.2}
    )
    tie_margin: float = Field(2.0, ge=0, description="Sub-score differences at or below this are ties.")


class MatchSettings(Strict):
    """How the match graph picks each entry's comparisons."""

    neighbours: int = Field(3, ge=0, le=50, description="Strongest k neighbours kept per entry.")
    threshold: float = Field(0.15, ge=0, le=1, description="Minimum similarity for an edge.")


class CaptionSettings(Strict):
    """The build-time captioning step (BLIP through transformers)."""

    model: str = "Salesforce/blip-image-captioning-base"
    revision: str | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    batch_size: int = Field(4, ge=1, le=256)
    decoding: Literal["greedy", "beam", "sample"] = "greedy"
    num_beams: int = Field(3, ge=1, le=16)
    top_p: float = Field(0.9, gt=0, le=1)
    seed: int = 0
    max_new_tokens: int = Field(30, ge=1, le=200)
    min_new_tokens: int = Field(1, ge=0, le=200)
    prompt: str | None = None
    heatmap: Literal["gradcam", "attention"] = "gradcam"
    store: str = Field("captions", description="Folder of the caption store, relative to the site.")


class Settings(Strict):
    title: str = "Unfragile"
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
            if not re.match(SLUG, name):
                raise ValueError(f"'{name}' must be lower-case letters, digits and dashes")
        return self

    @property
    def base_path(self) -> str:
        """The path part of ``base_url``: '/' at a domain's root, '/sub/path/' below it."""
        return urlsplit(self.base_url).path or "/"


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
