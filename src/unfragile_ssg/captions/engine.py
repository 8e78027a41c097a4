"""Where the captioning model runs: in this process, or on Ray workers.

Both engines take batches of image bytes (the files as they are on disk, never decoded
images: bytes are what travels well) and give back each batch's ``RawCaption`` list, or the
exception that batch raised. The caller (``step._compute``) writes each result into the store
as it arrives, so a run that dies half-way keeps what it wrote.

    with open_engine(ref, settings, decoding) as engine:
        for tag, results in engine.caption((tag, [image bytes...]) for ...):
            ...  # results: list[RawCaption], or the exception of that batch

``engine.shape`` (the patch grid and the tokenizer's special tokens, which turning tokens into
words and heatmaps needs) is known once the first result has come.

The Ray engine starts ``captions.ray.workers`` actors, each loading the model once from the
same place the driver resolved (a local folder, which must exist at that path on every node,
or a hub id, from each node's Hugging Face cache). A local folder's weights are hashed again
on each worker and must match the driver's, so that no result is stored under the wrong key.
Results come back in the order they finish; the store does not depend on the order.
A worker that dies (killed, out of memory, its node gone) gives its batches to the others;
when none is left the remaining batches fail with an error that says so.
"""

from __future__ import annotations

import os
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ..config import CaptionSettings
from .model import Decoding, ModelRef, ModelUnavailable, RawCaption

RAY_INSTALL_HINT = "install the optional extra: pip install 'unfragile-ssg[ray]'"
TASKS_PER_WORKER = 2  # one running, one waiting: a worker never idles while its next batch travels


@dataclass(frozen=True)
class ModelShape:
    """What the driver needs of the model to turn a RawCaption into the store's record."""

    grid: tuple[int, int]
    special_tokens: frozenset[str]

    @classmethod
    def of(cls, captioner) -> "ModelShape":
        return cls(tuple(captioner.grid), frozenset(getattr(captioner.tokenizer, "all_special_tokens", [])))


class WorkerLost(Exception):
    """Every Ray worker died before this batch could be captioned."""


def _decode(batch: Sequence[bytes]) -> list:
    from .images import open_image_bytes

    return [open_image_bytes(data, "sample image") for data in batch]


class LocalEngine:
    """The model in this process: loaded once, batches run one after the other."""

    def __init__(self, ref: ModelRef, settings: CaptionSettings, decoding: Decoding):
        from . import model  # looked up at call time, so that a benchmark can substitute a loaded model

        self.captioner = model.load_captioner(ref, settings.device, precision=settings.precision, threads=settings.threads)
        self.shape = ModelShape.of(self.captioner)
        self.decoding = decoding
        self.method = settings.heatmap
        self.workers = 1

    def caption(self, batches: Iterable[tuple[Any, Sequence[bytes]]]) -> Iterator[tuple[Any, list[RawCaption] | Exception]]:
        for tag, batch in batches:
            try:
                results = self.captioner.caption(_decode(batch), self.decoding, self.method)
            except Exception as error:  # one failing batch must not lose the others
                yield tag, error
                continue
            yield tag, results

    def close(self) -> None:
        pass


class CaptionWorker:
    """A Ray actor (``ray.remote`` is applied by RayEngine): the model, loaded once."""

    def __init__(self, ref: ModelRef, device: str, threads: int, precision: str = "fp32"):
        self.error: str | None = None
        self.captioner = None
        try:
            if ref.kind == "local":
                _check_same_weights(ref)
            from .model import load_captioner

            self.captioner = load_captioner(ref, device, precision=precision, threads=threads)
        except ModelUnavailable as error:
            self.error = str(error)
        except Exception as error:
            self.error = f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"

    def describe(self) -> tuple[str, Any]:
        if self.captioner is None:
            return "error", f"{self.error} (on Ray node {_node()})"
        return "ready", ModelShape.of(self.captioner)

    def caption(self, batch: list[bytes], decoding: Decoding, method: str) -> list[RawCaption]:
        return self.captioner.caption(_decode(batch), decoding, method)


def _node() -> str:
    import socket

    return socket.gethostname()


def _check_same_weights(ref: ModelRef) -> None:
    from .model import folder_digest

    folder = Path(ref.location)
    if not folder.is_dir():
        raise ModelUnavailable(
            f"the captioning model folder {ref.location} does not exist on this Ray node: put it at the same path on "
            "every node (a shared file system), or use a hub id that each node has in its Hugging Face cache")
    found = f"local:sha256:{folder_digest(folder)}"
    if found != ref.identity:
        raise ModelUnavailable(
            f"the captioning model folder {ref.location} holds other weights on this Ray node ({found[-64:][:12]}) "
            f"than on the driver ({ref.identity[-64:][:12]}): copy the same folder to every node")


class RayEngine:
    """``captions.ray.workers`` Ray actors, fed batches of image bytes as they free up."""

    def __init__(self, ref: ModelRef, settings: CaptionSettings, decoding: Decoding):
        try:
            import ray
        except ImportError as error:
            raise ModelUnavailable(f"Ray is needed for captions.engine: ray ({error}): {RAY_INSTALL_HINT}") from None
        self.ray = ray
        self.decoding = decoding
        self.method = settings.heatmap
        self.options = settings.ray
        self.shape: ModelShape | None = None
        self.started_ray = False
        address = settings.ray.address or os.environ.get("RAY_ADDRESS") or None
        if not ray.is_initialized():
            try:
                ray.init(address=address, include_dashboard=False, logging_level="warning", log_to_driver=False)
            except Exception as error:
                where = f"the Ray cluster at {address}" if address else "a local Ray"
                raise ModelUnavailable(
                    f"could not start or join {where} ({type(error).__name__}: {' '.join(str(error).split())[:300]}). "
                    "Fix: check captions.ray.address, --address or RAY_ADDRESS (ray://head:10001, head:6379 or auto)"
                ) from None
            self.started_ray = True
        gpus = settings.ray.num_gpus
        if gpus is None:
            gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
        device = settings.device if settings.device != "auto" else ("cuda" if gpus else "cpu")
        actor = ray.remote(CaptionWorker).options(num_cpus=settings.ray.num_cpus, num_gpus=gpus, max_restarts=0)
        threads = max(1, int(settings.ray.num_cpus))
        self.workers = [actor.remote(ref, device, threads, settings.precision) for _ in range(settings.ray.workers)]

    def caption(self, batches: Iterable[tuple[Any, Sequence[bytes]]]) -> Iterator[tuple[Any, list[RawCaption] | Exception]]:
        ray = self.ray
        from ray.exceptions import RayActorError, RayTaskError

        source = iter(batches)
        retry: deque = deque()  # batches of workers that died, sent again first
        starting = {worker.describe.remote(): worker for worker in self.workers}
        ready: dict[Any, int] = {}  # worker -> tasks in flight
        running: dict[Any, tuple[Any, Any, list[bytes]]] = {}  # task -> (worker, tag, batch)
        errors: list[str] = []
        exhausted = False

        def next_batch():
            nonlocal exhausted
            if retry:
                return retry.popleft()
            if exhausted:
                return None
            try:
                tag, batch = next(source)
            except StopIteration:
                exhausted = True
                return None
            return tag, list(batch)

        while True:
            for worker in list(ready):
                while ready.get(worker, TASKS_PER_WORKER) < TASKS_PER_WORKER:
                    work = next_batch()
                    if work is None:
                        break
                    tag, batch = work
                    running[worker.caption.remote(batch, self.decoding, self.method)] = (worker, tag, batch)
                    ready[worker] += 1
            if not running and (not starting or (exhausted and not retry)):
                break  # workers still starting (waiting for resources, say) have nothing left to do
            done, _ = ray.wait(list(running) + list(starting), num_returns=1)
            task = done[0]
            if task in starting:
                worker = starting.pop(task)
                try:
                    status, value = ray.get(task)
                except RayActorError as error:
                    status, value = "error", f"the Ray worker died while loading the model ({_reason(error)})"
                if status == "ready":
                    self.shape = self.shape or value
                    ready[worker] = 0
                else:
                    errors.append(value)
                continue
            worker, tag, batch = running.pop(task)
            try:
                results = ray.get(task)
            except RayActorError:
                ready.pop(worker, None)  # its other tasks fail the same way and come back here
                retry.append((tag, batch))
                continue
            except RayTaskError as error:
                cause = getattr(error, "cause", None)
                yield tag, cause if isinstance(cause, Exception) else error
            else:
                yield tag, results
            if worker in ready:
                ready[worker] -= 1
        if not (exhausted and not retry):
            if self.shape is None and errors:  # no worker ever loaded the model
                raise ModelUnavailable(errors[0])
            lost = WorkerLost("every Ray worker died (killed, out of memory, or its node lost) before this batch was captioned: "
                              "run `unfragile captions` again to caption the rest")
            while (work := next_batch()) is not None:
                yield work[0], lost

    def close(self) -> None:
        for worker in self.workers:
            try:
                self.ray.kill(worker)
            except Exception:
                pass
        self.workers = []
        if self.started_ray:
            self.ray.shutdown()


def _reason(error: Exception) -> str:
    return " ".join(str(error).split())[:200]


@contextmanager
def open_engine(ref: ModelRef, settings: CaptionSettings, decoding: Decoding) -> Iterator[LocalEngine | RayEngine]:
    """The engine ``captions.engine`` names; raises ModelUnavailable when it cannot run."""
    engine = RayEngine(ref, settings, decoding) if settings.engine == "ray" else LocalEngine(ref, settings, decoding)
    try:
        yield engine
    finally:
        engine.close()
