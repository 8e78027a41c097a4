"""The enrich step for sample images: caption store lookups, the model only on misses.

``caption_entries`` gives every sample of every entry a ``SampleView`` (captioned or not) and
the files the site must copy; ``prune_store`` removes what no entry uses. torch is imported
only when a result is missing and ``compute`` is true (inside ``model.load_captioner``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from pydantic import ValidationError

from ..config import CaptionSettings, Project
from ..content.load import position_in
from ..errors import Problem, SiteError
from ..memo import Caches
from . import heatmap as hm
from .engine import ModelShape
from .images import BadImage, open_image_bytes, read_image_bytes
from .model import Decoding, ModelRef, ModelUnavailable, RawCaption, hash_memo, resolve_model
from .store import CaptionStore, make_key, sha256, sharded

OUTPUT_PREFIX = "captions"
OVERRIDABLE = ("model", "revision", "device", "batch_size", "threads", "precision", "decoding", "num_beams", "top_p", "seed",
               "max_new_tokens", "min_new_tokens", "prompt", "heatmap", "colormap", "engine", "ray")
NO_SPACE_BEFORE = set(",.!?;:%)'")
NO_SPACE_AFTER = set("('")


@dataclass(frozen=True)
class WordView:
    text: str
    map: int | None  # this word's grid in the sample's maps file; None for prompt words
    prompt: bool = False
    space_before: bool = True


@dataclass(frozen=True)
class HeatmapsView:
    """Where a sample's heatmaps are: the grids as data for the script, and the composite
    image (grid i is tile i, whole caption first) for pages read without it."""

    maps: str  # output path of maps.bin
    grid: tuple[int, int]  # rows, columns of one grid
    count: int  # grids in the file: the whole caption's, then one per word
    sheet: str  # output path of sheet.webp
    sheet_width: int
    sheet_height: int
    columns: int  # tiles per row of the sheet
    colormap: str

    @property
    def rows(self) -> int:
        return -(-self.count // self.columns)

    @property
    def colormap_hex(self) -> str:
        return hm.colormap_hex(self.colormap)


@dataclass(frozen=True)
class SampleView:
    """Everything ``partials/samples.html`` shows for one sample image."""

    index: int
    source_path: str  # the image file, relative to the site root
    image: str | None  # output path of the displayed photograph (None: unreadable image)
    width: int
    height: int
    caption: str | None
    words: tuple[WordView, ...]
    heatmaps: HeatmapsView | None
    credit: str
    license: str
    source: str | None
    model: str
    decoding: str
    method: str
    key: str | None = None
    problem: str | None = None
    pending: str | None = None  # the entry's ``captions_pending``, shown while the caption is missing

    @property
    def captioned(self) -> bool:
        return self.caption is not None

    @property
    def awaiting_caption(self) -> bool:
        """Declared pending by its entry and not captioned yet."""
        return self.pending is not None and self.caption is None

    @property
    def alt(self) -> str:
        if self.caption:
            return self.caption
        return f"Sample image {self.index + 1} ({self.credit})"


@dataclass
class CaptionReport:
    samples: dict[str, list[SampleView]] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    hits: int = 0
    misses: int = 0
    computed: int = 0
    migrated: int = 0  # entries moved from the store's layout before shards
    seconds: float = 0.0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.warnings if p.severity == "error"]


def effective_settings(project: Project, overrides: Mapping[str, Any] | None = None) -> CaptionSettings:
    """The ``captions:`` settings with the CLI's options on top (None means 'not given')."""
    base = project.settings.captions
    changes = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = set(changes) - set(OVERRIDABLE)
    if unknown:
        raise SiteError(f"unknown caption option(s): {', '.join(sorted(unknown))}")
    if not changes:
        return base
    merged = base.model_dump()
    for name, value in changes.items():  # a table (``ray``) changes only the keys given
        merged[name] = {**merged[name], **value} if isinstance(value, Mapping) and isinstance(merged.get(name), dict) else value
    try:
        return CaptionSettings.model_validate(merged)
    except ValidationError as error:
        raise SiteError([Problem("captions", 0, 0, f"{'.'.join(map(str, e['loc']))}: {e['msg']}") for e in error.errors()]) from None


def decoding_of(settings: CaptionSettings) -> Decoding:
    return Decoding(
        method=settings.decoding, num_beams=settings.num_beams, top_p=settings.top_p, seed=settings.seed,
        max_new_tokens=settings.max_new_tokens, min_new_tokens=settings.min_new_tokens, prompt=settings.prompt or None,
    )


def decoding_key(d: Decoding) -> dict:
    """Only the settings that change the result go into the store's key."""
    key: dict[str, Any] = {"method": d.method, "max_new_tokens": d.max_new_tokens,
                           "min_new_tokens": min(d.min_new_tokens, d.max_new_tokens), "prompt": d.prompt}
    if d.method == "beam":
        key["num_beams"] = d.num_beams
    if d.method == "sample":
        key.update(top_p=d.top_p, seed=d.seed)
    return key


def decoding_summary(d: Decoding) -> str:
    if d.method == "greedy":
        text = "greedy decoding"
    elif d.method == "beam":
        text = f"beam search with {d.num_beams} beams"
    else:
        text = f"nucleus sampling (top-p {d.top_p:g}, seed {d.seed})"
    text += f", {d.min_new_tokens}–{d.max_new_tokens} new tokens"
    if d.prompt:
        text += f', prompt "{d.prompt}"'
    return text


@dataclass(eq=False)
class _Sample:
    entry: Any  # content.validate.Entry
    ctx: "_Context"  # the model that captions it
    index: int
    sample: Any
    path: Path
    shown: str
    image_sha: str | None = None
    key: str | None = None
    problem: Problem | None = None
    size: tuple[int, int] | None = None  # displayed photograph
    record: dict | None = None

    @property
    def pending(self) -> str | None:
        return self.entry.head.captions_pending


class _Context:
    """One captioning model with the settings it runs under, and the store."""

    def __init__(self, project: Project, settings: CaptionSettings, store: CaptionStore, ref: ModelRef):
        self.project = project
        self.settings = settings
        self.store = store
        self.ref = ref
        self.decoding = decoding_of(settings)
        self.algorithm, self.method_text = hm.ALGORITHMS[settings.heatmap]
        self.colormap = settings.colormap
        self.render = f"{hm.RENDER_VERSION}:{self.colormap}"

    @property
    def identity(self) -> str:
        """The model's identity in the store's key: at a lower precision it computes other numbers."""
        precision = self.settings.precision
        return self.ref.identity if precision == "fp32" else f"{self.ref.identity}+{precision}"

    def key(self, image_sha: str) -> str:
        return make_key(image_sha, self.identity, decoding_key(self.decoding), self.algorithm, self.render)


class _Models:
    """The site's captioning model (``captions.model``) and those entries name as ``captioner``:
    each gets the same settings with its own model, and its results its own store keys."""

    def __init__(self, project: Project, overrides: Mapping[str, Any] | None):
        self.project = project
        settings = effective_settings(project, overrides)
        self.store = CaptionStore(project.caption_store)
        self.settings = settings
        self.contexts: dict[str, _Context] = {}

    def for_entry(self, entry) -> _Context:
        spec = entry.head.captioner or self.settings.model
        if spec not in self.contexts:
            settings = self.settings
            if spec != settings.model:
                settings = settings.model_copy(update={"model": spec, "revision": None})
            ref = resolve_model(spec, settings.revision, self.project.root,
                                hash_cache=hash_memo(Caches(self.project.cache_dir)), remembered=self.store.models())
            self.contexts[spec] = _Context(self.project, settings, self.store, ref)
        return self.contexts[spec]

    def samples(self, entries: Iterable) -> list[_Sample]:
        out = []
        for entry in entries:
            for i, (sample, path) in enumerate(zip(entry.head.samples, entry.sample_paths)):
                out.append(_Sample(entry, self.for_entry(entry), i, sample, Path(path), self.project.display(Path(path))))
        return out


def _entry_warnings(project: Project, samples: list[_Sample], message: str) -> list[Problem]:
    """``message`` once per entry, at its first affected sample, with the count filled in."""
    by_entry: dict[str, list[_Sample]] = {}
    for s in samples:
        by_entry.setdefault(s.entry.source, []).append(s)
    problems = []
    for source, group in by_entry.items():
        entry = group[0].entry
        line, col = position_in(project, entry.kind, project.root / source, ("samples", group[0].index, "image"))
        problems.append(Problem(source, line, col, message.replace("{count}", str(len(group))), "warning"))
    return problems


def caption_entries(project: Project, entries: Iterable, *, strict: bool = False, progress: bool = False,
                    overrides: Mapping[str, Any] | None = None, compute: bool = True,
                    compute_pending: bool = False, migrate: bool = False) -> CaptionReport:
    """Caption every sample image of ``entries`` from the store, computing misses if allowed.

    Problems are returned in ``report.warnings``: unreadable images have severity "error"
    (the sample shows without its photograph), missing results "warning" (the sample shows
    without a caption). With ``strict`` any problem raises SiteError instead. With
    ``compute=False`` (``check``) nothing is written and the model is never loaded.
    Samples of an entry that declares ``captions_pending`` are neither computed nor warned
    about while their caption is missing, unless ``compute_pending`` (``unfragile captions``).
    ``migrate`` (``unfragile captions``) first moves a store written before the sharded layout
    into it; a build reads such a store as it is and leaves the committed files alone.
    """
    started = time.perf_counter()
    models = _Models(project, overrides)
    report = CaptionReport()
    if compute:
        models.store.remove_stale_temporaries()
        report.migrated = models.store.migrate() if migrate else 0
    samples = models.samples(entries)
    decoded: dict[str, Any] = {}  # image sha -> PIL image, for misses and missing photographs

    for s in samples:
        ctx = s.ctx
        try:
            data = read_image_bytes(s.path, s.shown)
            s.image_sha = sha256(data)
            s.key = ctx.key(s.image_sha)
            s.record = ctx.store.read(s.key)
            s.size = ctx.store.read_image(s.image_sha)
            if s.record is None or s.size is None:
                if s.image_sha not in decoded:
                    decoded[s.image_sha] = open_image_bytes(data, s.shown)
                if s.size is None and compute:
                    shown_image = hm.display_image(decoded[s.image_sha])
                    ctx.store.write_image(s.image_sha, hm.encode_webp(shown_image, quality=85))
                    s.size = shown_image.size
        except BadImage as bad:
            s.problem = Problem(bad.shown, 0, 0, f"{bad.message} (sample {s.index + 1} of {s.entry.source})", "error")
            s.image_sha = s.key = s.record = None
        if s.record is not None:
            report.hits += 1
        elif s.problem is None:
            report.misses += 1

    missing = [s for s in samples if s.problem is None and s.record is None
               and (s.pending is None or (compute and compute_pending))]
    if missing and compute:
        for ctx in models.contexts.values():
            waiting = [s for s in missing if s.ctx is ctx]
            if not waiting:
                continue
            try:
                todo = {s.key: s for s in waiting}  # one computation per distinct image
                _compute(ctx, list(todo.values()), decoded, report, progress)
            except ModelUnavailable as error:
                report.warnings += _entry_warnings(project, waiting, (
                    f"{{count}} sample image(s) have no caption in the store and {error}. "
                    "Until then the pages show those samples without captions"))
        for s in missing:
            if s.problem is None:
                s.record = models.store.read(s.key)
    elif missing:
        report.warnings += _entry_warnings(project, missing, (
            f"{{count}} sample image(s) have no caption in the store ({project.display(models.store.root)}/) "
            "for the current captions settings: run `unfragile captions` to make them"))

    for s in samples:
        if s.problem is not None:
            report.warnings.append(s.problem)
        view = _view(s.ctx, s, report.files)
        report.samples.setdefault(s.entry.slug, []).append(view)
    report.warnings.sort()
    report.seconds = time.perf_counter() - started
    if strict and report.warnings:
        raise SiteError(report.warnings)
    return report


def _compute(ctx: _Context, todo: list[_Sample], decoded: dict, report: CaptionReport, progress: bool) -> None:
    """Caption ``todo`` with ``ctx``'s model on the engine its settings name (``engine.py``),
    storing each result as it arrives; raises ModelUnavailable when the model cannot run."""
    from .engine import open_engine

    bar = None
    if progress:
        from .progress import Progress

        bar = Progress(len(todo))
    size = (ctx.settings.ray.batch_size if ctx.settings.engine == "ray" else None) or ctx.settings.batch_size
    remembered = False
    try:
        with open_engine(ctx.ref, ctx.settings, ctx.decoding) as engine:
            for batch, results in engine.caption(_batches(todo, size, bar)):
                if isinstance(results, Exception):  # one failing batch must not lose the others
                    reason = " ".join(str(results).split())[:300] or type(results).__name__
                    for s in batch:
                        s.problem = Problem(s.shown, 0, 0, f"captioning failed ({type(results).__name__}: {reason})", "error")
                else:
                    if not remembered and ctx.ref.kind == "local":
                        ctx.store.remember_model(ctx.ref.spec, ctx.ref.identity)
                        remembered = True
                    for s, raw in zip(batch, results):
                        _save(ctx, s, decoded[s.image_sha], raw, engine.shape)
                        report.computed += 1
                if bar:
                    bar.advance(len(batch))
    finally:
        if bar:
            bar.close()


def _batches(todo: list[_Sample], size: int, bar) -> Iterator[tuple[list[_Sample], list[bytes]]]:
    """Batches of ``size`` samples with their images' bytes, read again as they are sent; an image
    that changed or went since it was read first gets its problem and stays out."""
    batch: list[_Sample] = []
    data: list[bytes] = []
    for s in todo:
        try:
            image = read_image_bytes(s.path, s.shown)
            if sha256(image) != s.image_sha:
                raise BadImage(s.shown, "sample image changed while captions were computed: run `unfragile captions` again")
        except BadImage as bad:
            s.problem = Problem(bad.shown, 0, 0, f"{bad.message} (sample {s.index + 1} of {s.entry.source})", "error")
            if bar:
                bar.advance(1)
            continue
        batch.append(s)
        data.append(image)
        if len(batch) == size:
            yield batch, data
            batch, data = [], []
    if batch:
        yield batch, data


def _words(raw: RawCaption, special: set[str]) -> list[dict]:
    """Wordpieces -> words: '##' pieces join the word before; special tokens are dropped."""
    words: list[dict] = []
    for i, token in enumerate(raw.tokens):
        if token in special:
            continue
        prompt = i < raw.prompt_tokens
        if token.startswith("##") and words and words[-1]["prompt"] == prompt:
            words[-1]["text"] += token[2:]
            words[-1]["tokens"].append(i)
        else:
            words.append({"text": token[2:] if token.startswith("##") else token, "tokens": [i], "prompt": prompt})
    return words


def _join(words: list[dict]) -> tuple[str, list[bool]]:
    text, spaces = "", []
    for i, word in enumerate(words):
        space = bool(text) and word["text"][:1] not in NO_SPACE_BEFORE and words[i - 1]["text"][-1:] not in NO_SPACE_AFTER
        spaces.append(space)
        text += (" " if space else "") + word["text"]
    return text, spaces


def _save(ctx: _Context, s: _Sample, image, raw: RawCaption, shape: ModelShape) -> None:
    shown = hm.display_image(image)
    special = set(shape.special_tokens)
    words = _words(raw, special)
    text, spaces = _join(words)
    out_words = []
    generated = []
    for word, space in zip(words, spaces):
        item = {"text": word["text"], "prompt": word["prompt"], "space_before": space, "map": None}
        if not word["prompt"]:
            generated.append(hm.combine(raw.maps[i] for i in word["tokens"]))
            item["map"] = len(generated)  # grid 0 is the whole caption's
        out_words.append(item)
    files: dict[str, bytes] = {}
    maps = sheet = None
    if generated:
        grids = [hm.quantize(g) for g in [hm.combine(generated), *generated]]
        files["maps.bin"] = hm.encode_maps(grids)
        composite = hm.sheet(shown, [hm.dequantize(g) for g in grids], ctx.colormap)
        files["sheet.webp"] = hm.encode_webp(composite, quality=hm.SHEET_QUALITY)
        maps = {"file": "maps.bin", "count": len(grids)}
        _, columns, _ = hm.sheet_layout(len(grids), shown.size)
        sheet = {"file": "sheet.webp", "columns": columns, "width": composite.size[0], "height": composite.size[1]}
    record = {
        "caption": text,
        "words": out_words,
        "maps": maps,
        "sheet": sheet,
        "tokens": raw.tokens,
        "token_ids": raw.token_ids,
        "prompt_tokens": raw.prompt_tokens,
        "image": {"sha256": s.image_sha, "width": shown.size[0], "height": shown.size[1]},
        "model": {"identity": ctx.identity, "display": ctx.ref.display + ("" if ctx.settings.precision == "fp32" else f", {ctx.settings.precision}")},
        "decoding": decoding_key(ctx.decoding),
        "decoding_summary": decoding_summary(ctx.decoding),
        "heatmap": {"algorithm": ctx.algorithm, "description": ctx.method_text, "render": ctx.render,
                    "grid": list(shape.grid), "colormap": ctx.colormap},
    }
    s.record = ctx.store.write(s.key, record, files)


def _view(ctx: _Context, s: _Sample, files: dict[str, Path]) -> SampleView:
    sample = s.sample
    image = None
    width = height = 0
    if s.image_sha is not None and s.size is not None:
        image = f"{OUTPUT_PREFIX}/images/{sharded(s.image_sha[:32] + '.webp')}"
        files[image] = ctx.store.image_path(s.image_sha)
        width, height = s.size
    common = dict(
        index=s.index, source_path=s.shown, image=image, width=width, height=height,
        credit=sample.credit, license=sample.license, source=sample.source,
        model=ctx.ref.display, decoding=decoding_summary(ctx.decoding), method=ctx.method_text,
        key=s.key, problem=s.problem.message if s.problem else None, pending=s.pending,
    )
    record = s.record
    if record is None:
        return SampleView(caption=None, words=(), heatmaps=None, **common)

    def out(name: str) -> str:
        path = f"{OUTPUT_PREFIX}/{sharded(s.key)}/{name}"
        files[path] = ctx.store.path(s.key, name)
        return path

    words = tuple(
        WordView(w["text"], w.get("map"), bool(w.get("prompt")), bool(w.get("space_before", True)))
        for w in record["words"]
    )
    heatmaps = None
    maps, sheet = record["maps"], record["sheet"]
    if maps is not None and image is not None:
        heatmaps = HeatmapsView(
            maps=out(maps["file"]), grid=tuple(record["heatmap"]["grid"]), count=maps["count"], sheet=out(sheet["file"]),
            sheet_width=sheet["width"], sheet_height=sheet["height"], columns=sheet["columns"], colormap=ctx.colormap,
        )
    common["model"] = record.get("model", {}).get("display", ctx.ref.display)
    return SampleView(caption=record["caption"], words=words, heatmaps=heatmaps, **common)


def prune_store(project: Project, entries: Iterable, overrides: Mapping[str, Any] | None = None) -> int:
    """Remove results and photographs that no sample of ``entries`` uses with these settings."""
    models = _Models(project, overrides)
    keys: set[str] = set()
    images: set[str] = set()
    for s in models.samples(entries):
        try:
            image_sha = sha256(read_image_bytes(s.path, s.shown))
        except BadImage:
            continue
        keys.add(s.ctx.key(image_sha))
        images.add(image_sha)
    return models.store.prune(keys, images)
