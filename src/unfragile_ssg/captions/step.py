"""The enrich step for sample images: caption store lookups, the model only on misses.

``caption_entries`` gives every sample of every entry a ``SampleView`` (captioned or not) and
the files the site must copy; ``prune_store`` removes what no entry uses. torch is imported
only when a result is missing and ``compute`` is true (inside ``model.load_captioner``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from pydantic import ValidationError

from ..config import CaptionSettings, Project
from ..content.load import position_in
from ..errors import Problem, SiteError
from ..memo import Caches
from . import heatmap as hm
from .images import BadImage, open_image_bytes, read_image_bytes
from .model import Decoding, ModelRef, ModelUnavailable, RawCaption, hash_memo, resolve_model
from .store import CaptionStore, make_key, sha256

OUTPUT_PREFIX = "captions"
OVERRIDABLE = ("model", "revision", "device", "batch_size", "decoding", "num_beams", "top_p", "seed",
               "max_new_tokens", "min_new_tokens", "prompt", "heatmap", "colormap")
NO_SPACE_BEFORE = set(",.!?;:%)'")
NO_SPACE_AFTER = set("('")


@dataclass(frozen=True)
class WordView:
    text: str
    heatmap: str | None  # output path of this word's overlay; None for prompt words
    prompt: bool = False
    space_before: bool = True


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
    heatmap: str | None  # the whole caption's overlay
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
    try:
        return CaptionSettings.model_validate({**base.model_dump(), **changes})
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

    def key(self, image_sha: str) -> str:
        return make_key(image_sha, self.ref.identity, decoding_key(self.decoding), self.algorithm, self.render)


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
                    compute_pending: bool = False) -> CaptionReport:
    """Caption every sample image of ``entries`` from the store, computing misses if allowed.

    Problems are returned in ``report.warnings``: unreadable images have severity "error"
    (the sample shows without its photograph), missing results "warning" (the sample shows
    without a caption). With ``strict`` any problem raises SiteError instead. With
    ``compute=False`` (``check``) nothing is written and the model is never loaded.
    Samples of an entry that declares ``captions_pending`` are neither computed nor warned
    about while their caption is missing, unless ``compute_pending`` (``unfragile captions``).
    """
    started = time.perf_counter()
    models = _Models(project, overrides)
    if compute:
        models.store.remove_stale_temporaries()
    report = CaptionReport()
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
    """Caption ``todo`` with ``ctx``'s model; raises ModelUnavailable when it cannot be loaded."""
    from .model import load_captioner

    captioner = load_captioner(ctx.ref, ctx.settings.device)
    if ctx.ref.kind == "local":
        ctx.store.remember_model(ctx.ref.spec, ctx.ref.identity)
    bar = None
    if progress:
        from .progress import Progress

        bar = Progress(len(todo))
    size = ctx.settings.batch_size
    try:
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            try:
                results = captioner.caption([decoded[s.image_sha] for s in batch], ctx.decoding, ctx.settings.heatmap)
            except Exception as error:  # one failing batch must not lose the others
                reason = " ".join(str(error).split())[:300] or type(error).__name__
                for s in batch:
                    s.problem = Problem(s.shown, 0, 0, f"captioning failed ({type(error).__name__}: {reason})", "error")
                if bar:
                    bar.advance(len(batch))
                continue
            for s, raw in zip(batch, results):
                _save(ctx, s, decoded[s.image_sha], raw, captioner)
                report.computed += 1
            if bar:
                bar.advance(len(batch))
    finally:
        if bar:
            bar.close()


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


def _save(ctx: _Context, s: _Sample, image, raw: RawCaption, captioner) -> None:
    shown = hm.display_image(image)
    special = set(getattr(captioner.tokenizer, "all_special_tokens", []))
    words = _words(raw, special)
    text, spaces = _join(words)
    files: dict[str, bytes] = {}
    out_words = []
    generated = []
    n = 0
    for word, space in zip(words, spaces):
        item = {"text": word["text"], "prompt": word["prompt"], "space_before": space, "file": None}
        if not word["prompt"]:
            name = f"w{n:02d}.webp"
            n += 1
            grid = hm.combine(raw.maps[i] for i in word["tokens"])
            generated.append(grid)
            files[name] = hm.encode_webp(hm.overlay(shown, grid, ctx.colormap))
            item["file"] = name
        out_words.append(item)
    if generated:
        files["all.webp"] = hm.encode_webp(hm.overlay(shown, hm.combine(generated), ctx.colormap))
    record = {
        "caption": text,
        "words": out_words,
        "whole": "all.webp" if generated else None,
        "tokens": raw.tokens,
        "token_ids": raw.token_ids,
        "prompt_tokens": raw.prompt_tokens,
        "image": {"sha256": s.image_sha, "width": shown.size[0], "height": shown.size[1]},
        "model": {"identity": ctx.ref.identity, "display": ctx.ref.display},
        "decoding": decoding_key(ctx.decoding),
        "decoding_summary": decoding_summary(ctx.decoding),
        "heatmap": {"algorithm": ctx.algorithm, "description": ctx.method_text, "render": ctx.render, "grid": list(captioner.grid)},
    }
    s.record = ctx.store.write(s.key, record, files)


def _view(ctx: _Context, s: _Sample, files: dict[str, Path]) -> SampleView:
    sample = s.sample
    image = None
    width = height = 0
    if s.image_sha is not None and s.size is not None:
        image = f"{OUTPUT_PREFIX}/images/{s.image_sha[:32]}.webp"
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
        return SampleView(caption=None, words=(), heatmap=None, **common)

    def out(name: str | None) -> str | None:
        if not name:
            return None
        path = f"{OUTPUT_PREFIX}/{s.key}/{name}"
        files[path] = ctx.store.path(s.key, name)
        return path

    words = tuple(
        WordView(w["text"], out(w.get("file")), bool(w.get("prompt")), bool(w.get("space_before", True)))
        for w in record["words"]
    )
    common["model"] = record.get("model", {}).get("display", ctx.ref.display)
    return SampleView(caption=record["caption"], words=words, heatmap=out(record.get("whole")), **common)


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
