"""The captioning model: where it comes from, who it is, and running it.

This is the only module that imports torch or transformers, and it does so lazily, inside
``load_captioner``: a build whose captions are all in the store never calls it, and so never
pays the 6-7 s those imports cost (nor needs them installed).

The same code loads a hub id (``Salesforce/blip-image-captioning-base``) and a local folder
written by ``save_pretrained``; the tests exercise it on locally saved random-weight models.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Sequence
from urllib.parse import urlsplit

import numpy as np

from ..memo import Caches, Memo

HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
# Files whose bytes define a local model's behaviour (weights, config, tokenizer, processor).
IDENTITY_SUFFIXES = (".safetensors", ".bin", ".json", ".txt", ".model")
INSTALL_HINT = "install the optional extra: pip install 'unfragile-ssg[captions]'"
PRECISIONS = ("fp32", "bf16", "int8")


def default_threads() -> int:
    """The cores this process may run on (its CPU affinity), not every core of the machine."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class ModelUnavailable(Exception):
    """The model cannot be loaded; the message says why and names the fix."""


@dataclass(frozen=True)
class ModelRef:
    """Where the model comes from and the identity that goes into the caption store's keys.

    ``identity`` changes whenever the weights may have changed: for a local folder it is a
    hash of the files' bytes; for a hub id it is the id and the pinned revision (``main``
    when none is pinned: pin ``captions.revision`` to a commit for exact reuse).
    """

    spec: str
    kind: str  # "local" | "hub" | "missing"
    location: str
    identity: str
    display: str


def resolve_model(spec: str, revision: str | None, root: Path, *, hash_cache: Memo | None = None,
                  remembered: dict[str, str] | None = None) -> ModelRef:
    """Find the model named by the ``captions.model`` setting without importing torch.

    A setting that names an existing folder (absolute, or relative to the site root) is a
    local model; otherwise a hub id. A folder that no longer exists (a CI checkout without the
    weights) keeps the identity last recorded for it in the store, so its results still match.
    """
    candidate = Path(spec).expanduser()
    if not candidate.is_absolute():
        candidate = root / candidate
    if candidate.is_dir():
        digest = folder_digest(candidate, hash_cache)
        return ModelRef(spec, "local", str(candidate), f"local:sha256:{digest}", f"{spec} (local folder, weights sha256 {digest[:12]})")
    looks_like_path = spec.startswith((".", "/", "~")) or os.sep in spec.strip("/").replace("/", "", 1) or not HUB_ID.fullmatch(spec)
    if looks_like_path:
        known = (remembered or {}).get(spec)
        if known:
            return ModelRef(spec, "missing", str(candidate), known, f"{spec} (local folder, weights sha256 {known.rsplit(':', 1)[-1][:12]})")
        return ModelRef(spec, "missing", str(candidate), f"missing:{spec}", f"{spec} (folder not found)")
    rev = revision or "main"
    shown = spec if revision is None else f"{spec} at revision {revision}"
    return ModelRef(spec, "hub", spec, f"hub:{spec}@{rev}", shown)


class FileHash(NamedTuple):
    stamp: str  # size and modification time when hashed
    sha256: str


def hash_memo(caches: Caches) -> Memo:
    """The local models' file hashes (``caption-model-hashes`` in the cache layout)."""
    return caches.memo("caption-model-hashes", dict[str, FileHash])


def folder_digest(folder: Path, hash_cache: Memo | None = None) -> str:
    """sha256 over the names and contents of the files that define a saved model.

    Each file's hash is remembered in ``hash_cache`` (a memo) by size and modification time,
    so a rebuild does not re-read a gigabyte of weights; a damaged one costs reading them.
    """
    cache: dict[str, FileHash] = {}
    if hash_cache is not None:
        cache = dict(hash_cache.get() or {})
    changed = False
    outer = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in IDENTITY_SUFFIXES):
        rel = path.relative_to(folder).as_posix()
        stat = path.stat()
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
        entry = cache.get(str(path))
        if entry is None or entry.stamp != stamp:
            inner = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    inner.update(block)
            entry = FileHash(stamp, inner.hexdigest())
            cache[str(path)] = entry
            changed = True
        outer.update(f"{rel}\0{entry.sha256}\n".encode())
    if changed and hash_cache is not None:
        try:
            hash_cache.put(cache)
        except OSError:
            pass
    return outer.hexdigest()


@dataclass
class RawCaption:
    """What the model produced for one image, before any image is drawn.

    ``tokens`` are the wordpieces after the start token (the prompt's first, then the
    generated ones, without the end token); ``maps[i]`` is the patch-grid heatmap of
    ``tokens[i]`` (shape ``grid``); prompt tokens have maps too but are not shown.
    """

    tokens: list[str]
    token_ids: list[int]
    prompt_tokens: int
    maps: np.ndarray  # (len(tokens), rows, cols) float32, not normalised


@dataclass(frozen=True)
class Decoding:
    method: str  # greedy | beam | sample
    num_beams: int
    top_p: float
    seed: int
    max_new_tokens: int
    min_new_tokens: int
    prompt: str | None


class Captioner:
    """A loaded BLIP captioner: images in, tokens and per-token heatmaps out."""

    def __init__(self, model, image_processor, tokenizer, device: str, ref: ModelRef, precision: str = "fp32"):
        self.model = model
        self.image_processor = image_processor
        self.tokenizer = tokenizer
        self.device = device
        self.ref = ref
        self.precision = precision
        self.dtype = next(model.vision_model.embeddings.parameters()).dtype
        vision = model.config.vision_config
        size = vision.image_size
        patch = vision.patch_size
        h, w = (size, size) if isinstance(size, int) else tuple(size)
        ph, pw = (patch, patch) if isinstance(patch, int) else tuple(patch)
        self.grid: tuple[int, int] = (h // ph, w // pw)
        text = model.config.text_config
        self.bos = text.bos_token_id
        self.eos = text.sep_token_id
        self.pad = text.pad_token_id

    # -- running -------------------------------------------------------------------------

    def caption(self, images: Sequence, decoding: Decoding, method: str) -> list[RawCaption]:
        """Caption a batch of RGB PIL images and explain every token with ``method``.

        Greedy and beam search run the batch together. Sampling runs each image on its own
        after seeding, so an image's caption depends only on its bytes and the settings
        (the store's key), never on which other images shared its batch.
        """
        if decoding.method == "sample":
            out: list[RawCaption] = []
            for image in images:
                out.extend(self._caption([image], decoding, method))
            return out
        return self._caption(list(images), decoding, method)

    def _caption(self, images: list, decoding: Decoding, method: str) -> list[RawCaption]:
        from . import attention

        image_embeds = self.embed(images)
        keys_values = attention.image_keys_values(self.model.text_decoder, image_embeds)
        prompt_ids = self._prompt_ids(decoding.prompt)
        sequences = self.generate(image_embeds, keys_values, prompt_ids, decoding)
        start = len(prompt_ids)
        lengths = []
        for row in sequences.tolist():
            end = len(row)
            for i in range(start, len(row)):
                if row[i] == self.eos:
                    end = i
                    break
            lengths.append(end)
        results = []
        for i, row in enumerate(sequences.tolist()):
            ids = row[1 : lengths[i]]
            own = sequences[i : i + 1, : min(len(row), lengths[i] + 1)]  # its tokens and end token
            maps = self.explain(own, image_embeds[i : i + 1], [lengths[i]], method, keys_values=keys_values, row=i)[0]
            results.append(
                RawCaption(
                    tokens=self.tokenizer.convert_ids_to_tokens(ids),
                    token_ids=ids,
                    prompt_tokens=start - 1,
                    maps=maps[: len(ids)].astype(np.float32),
                )
            )
        return results

    def embed(self, images: list):
        """The vision tower's output for a batch of PIL images: ``(N, 1 + rows*cols, width)``."""
        import torch

        pixels = self.image_processor(images=images, return_tensors="pt")["pixel_values"].to(self.device, self.dtype)
        with torch.no_grad():
            # One image at a time: which kernels a matrix product takes depends on its batch size
            # and on the CPU (on an AMD EPYC host a batch of 4 differed in the last bits from four
            # runs of one), and the committed store must not depend on which images shared a
            # batch (tests/captions/test_speed.py checks it).
            return torch.cat([self.model.vision_model(pixel_values=pixels[i : i + 1])[0] for i in range(len(pixels))])

    def generate(self, image_embeds, keys_values, prompt_ids: list[int], decoding: Decoding):
        """Token ids ``(N, S)`` for the batch: the prompt, then what the decoding chose."""
        import torch

        from . import attention

        n = image_embeds.shape[0]
        input_ids = torch.tensor([prompt_ids] * n, dtype=torch.long, device=self.device)
        image_mask = torch.ones(image_embeds.shape[:-1], dtype=torch.long, device=self.device)
        config = self._generation_config(decoding)
        if decoding.method == "sample":
            torch.manual_seed(decoding.seed)
            if self.device.startswith("cuda"):
                torch.cuda.manual_seed_all(decoding.seed)
        decoder = self.model.text_decoder
        cache = attention.shared_image_cache(decoder, keys_values, slice(None), repeat=config.num_beams)
        with torch.no_grad():
            sequences = decoder.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                encoder_hidden_states=image_embeds,
                encoder_attention_mask=image_mask,
                generation_config=config,
                cache=cache,
            )
        if not torch.is_tensor(sequences):
            sequences = sequences.sequences
        return sequences

    def explain(self, sequences, image_embeds, lengths: list[int], method: str, *, keys_values=None, row: int = 0) -> np.ndarray:
        """One teacher-forced pass through the text decoder over the finished sequences.

        Returns ``(N, S-1, rows, cols)``: row ``j`` explains token ``j+1``. The vision CLS
        column is dropped; the grid comes from the model's config. ``method`` is one of
        ``explain.METHODS`` (see ``captions/explain.py``). ``keys_values`` (from
        ``attention.image_keys_values``, row ``row`` onwards) saves computing the image's
        cross-attention keys and values again.
        """
        import torch

        from . import attention
        from .explain import explain

        n, s = sequences.shape
        mask = torch.zeros((n, s), dtype=torch.long, device=sequences.device)
        for i, length in enumerate(lengths):
            mask[i, : min(s, length + 1)] = 1  # tokens and the end token
        image_mask = torch.ones(image_embeds.shape[:-1], dtype=torch.long, device=sequences.device)
        decoder = self.model.text_decoder
        cache = None if keys_values is None else attention.shared_image_cache(decoder, keys_values, slice(row, row + n))
        maps = explain(method, decoder, sequences, mask, image_embeds, image_mask, cache=cache)
        rows, cols = self.grid
        maps = maps[:, :-1, :]  # row j explains token j+1; the last row explains nothing
        if maps.shape[-1] != 1 + rows * cols:
            raise ModelUnavailable(
                f"the model's cross-attention covers {maps.shape[-1]} image positions, but its config's "
                f"image_size/patch_size give 1 + {rows}x{cols}: the processor and the config disagree"
            )
        return maps[..., 1:].reshape(n, s - 1, rows, cols).cpu().numpy()

    # -- helpers -------------------------------------------------------------------------

    def _prompt_ids(self, prompt: str | None) -> list[int]:
        if not prompt:
            return [self.bos]
        ids = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        return [self.bos] + list(ids)

    def _generation_config(self, decoding: Decoding):
        from transformers import GenerationConfig

        common = dict(
            max_new_tokens=decoding.max_new_tokens,
            min_new_tokens=min(decoding.min_new_tokens, decoding.max_new_tokens),
            eos_token_id=self.eos,
            pad_token_id=self.pad,
            bos_token_id=self.bos,
        )
        if decoding.method == "greedy":
            return GenerationConfig(do_sample=False, num_beams=1, **common)
        if decoding.method == "beam":
            return GenerationConfig(do_sample=False, num_beams=decoding.num_beams, early_stopping=True, **common)
        return GenerationConfig(do_sample=True, num_beams=1, top_p=decoding.top_p, top_k=0, **common)


def load_captioner(ref: ModelRef, device: str = "auto", *, precision: str = "fp32", threads: int | None = None) -> Captioner:
    """Load the model, its image processor and tokenizer; raise ModelUnavailable with the fix.

    ``threads`` (default: the cores this process may use) is applied to torch before any
    work. ``precision``: fp32 as published; bf16 (every weight and activation); int8 (dynamic
    quantization of the linear layers, CPU only; the last decoder layer and the word
    predictor stay fp32, because the heatmap's gradient runs through them).
    """
    if precision not in PRECISIONS:
        raise ModelUnavailable(f"captions.precision is {precision!r}: use one of {', '.join(PRECISIONS)}")
    if ref.kind == "missing":
        raise ModelUnavailable(
            f"the captioning model folder '{ref.spec}' does not exist (looked for {ref.location}): "
            "fix captions.model in unfragile.yaml (a local folder written by save_pretrained, or a hub id "
            "such as Salesforce/blip-image-captioning-base)"
        )
    _preflight(ref)
    try:
        import torch
        import transformers
        from transformers import AutoTokenizer, BlipForConditionalGeneration, BlipImageProcessorPil
    except ImportError as error:
        raise ModelUnavailable(f"torch and transformers are needed to caption new images ({error}): {INSTALL_HINT}") from None
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    torch.set_num_threads(threads or default_threads())
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    elif device == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailable("captions.device is 'cuda' but torch sees no CUDA device: set device to 'auto' or 'cpu'")
    if precision == "int8" and device != "cpu":
        raise ModelUnavailable(f"captions.precision int8 runs on the CPU only, and captions.device gives {device}: "
                               "set precision to fp32 or bf16, or device to cpu")

    def attempt(local_only: bool):
        kwargs: dict[str, Any] = {}
        if ref.kind == "hub":
            kwargs = {"revision": ref.identity.rsplit("@", 1)[1], "local_files_only": local_only}
        # a model folder can arrive by pull request: weights only as safetensors (a pickled
        # .bin runs code when loaded), and never the Python files a folder may carry
        model = BlipForConditionalGeneration.from_pretrained(ref.location, attn_implementation="eager", dtype=torch.float32,
                                                             use_safetensors=True, trust_remote_code=False, **kwargs)
        processor = BlipImageProcessorPil.from_pretrained(ref.location, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(ref.location, trust_remote_code=False, **kwargs)
        return model, processor, tokenizer

    try:
        try:
            model, processor, tokenizer = attempt(local_only=True)
        except Exception:
            if ref.kind != "hub" or os.environ.get("HF_HUB_OFFLINE") in ("1", "true", "TRUE", "yes"):
                raise
            model, processor, tokenizer = attempt(local_only=False)
    except Exception as error:  # transformers raises OSError, ValueError, EnvironmentError...
        reason = " ".join(str(error).split())[:300].rstrip(".")
        if ref.kind == "hub":
            fix = _hub_fix(ref)
        else:
            fix = "check that the folder holds config.json, the weights, the tokenizer and the image processor (save_pretrained writes them all)"
        raise ModelUnavailable(f"could not load the captioning model '{ref.spec}': {reason}. Fix: {fix}") from None
    model.requires_grad_(False)
    model.eval().to(device)
    from . import attention

    attention.use_fused_attention(model)
    if precision == "bf16":
        model.to(torch.bfloat16)
    elif precision == "int8":
        _quantize_linear_layers(model)
    return Captioner(model, processor, tokenizer, device, ref, precision)


def _quantize_linear_layers(model) -> None:
    """int8 dynamic quantization (torch.ao) of every nn.Linear the heatmap's gradient does not
    cross: the vision tower and all decoder layers but the last (a quantized layer passes no
    gradient back)."""
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's deprecation notices, once per layer
        parts = [model.vision_model, *model.text_decoder.bert.encoder.layer[:-1]]
        for part in parts:
            quantize_dynamic(part, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


def _hub_fix(ref: ModelRef) -> str:
    revision = ref.identity.rsplit("@", 1)[1]
    pin = f" --revision {revision}" if revision != "main" else ""
    return (
        f"download it once where the hub is reachable (hf download {ref.spec}{pin}), "
        "or set captions.model in unfragile.yaml to a local folder written by save_pretrained"
    )


def _preflight(ref: ModelRef) -> None:
    """Fail in milliseconds, before importing torch, when a hub model is neither cached nor
    reachable (transformers would retry for about half a minute first)."""
    if ref.kind != "hub":
        return
    try:
        from huggingface_hub import constants, try_to_load_from_cache
    except ImportError as error:
        raise ModelUnavailable(f"huggingface_hub is needed to load '{ref.spec}' ({error}): {INSTALL_HINT}") from None
    revision = ref.identity.rsplit("@", 1)[1]
    try:
        cached = try_to_load_from_cache(ref.spec, "config.json", revision=revision)
    except Exception:
        cached = None
    if isinstance(cached, str):
        return
    if constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE"):
        raise ModelUnavailable(
            f"could not load the captioning model '{ref.spec}': it is not in the local Hugging Face cache "
            f"and HF_HUB_OFFLINE is set. Fix: {_hub_fix(ref)}"
        )
    parts = urlsplit(constants.ENDPOINT)
    host, port = parts.hostname or "huggingface.co", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as error:
        raise ModelUnavailable(
            f"could not load the captioning model '{ref.spec}': it is not in the local Hugging Face cache "
            f"and {host} cannot be reached ({error.strerror or error}). Fix: {_hub_fix(ref)}"
        ) from None
