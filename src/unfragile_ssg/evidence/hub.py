"""Facts of a Hugging Face Hub model or dataset, read through ``huggingface_hub``.

The hub id comes from the entry's ``links.model_card`` (``https://huggingface.co/ORG/NAME``,
``https://huggingface.co/datasets/ORG/NAME``). ``HF_ENDPOINT`` points the client at another
host (a mirror, or a local stand-in in tests); the pages cited stay on huggingface.co, which is
what a reader opens. ``HF_TOKEN`` is used when set (huggingface_hub's own rule).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx2

from .facts import Fact, Fetched, SourceFailure, Unreachable, count, day
from .http import ConditionalTransport, make_client

PAGE_HOST = "https://huggingface.co"
HUB_HOSTS = {"huggingface.co", "www.huggingface.co", "hf.co"}
_PART = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_NOT_REPOS = {"docs", "spaces", "papers", "blog", "api", "models", "collections", "learn", "organizations", "settings"}
# The hub gives every repository made before it recorded creation dates this day: not a release date.
HUB_EPOCH = dt.date(2022, 3, 2)
MODEL_EXPAND = ["author", "cardData", "createdAt", "downloads", "lastModified", "likes", "pipeline_tag", "safetensors", "tags"]
DATASET_EXPAND = ["author", "cardData", "createdAt", "downloads", "lastModified", "likes", "tags"]


@dataclass(frozen=True)
class HubRepo:
    kind: str  # "model" or "dataset"
    repo_id: str

    @property
    def page(self) -> str:
        return f"{PAGE_HOST}/{'datasets/' if self.kind == 'dataset' else ''}{self.repo_id}"


def hub_repo(url: str | None) -> HubRepo | None:
    """The hub repository a model card address names, or None when it names none."""
    if not url:
        return None
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in HUB_HOSTS:
        return None
    path = [p for p in parts.path.split("/") if p]
    kind = "model"
    if path[:1] == ["datasets"]:
        kind, path = "dataset", path[1:]
    if not path or path[0] in _NOT_REPOS or not all(re.fullmatch(_PART, p) for p in path[:2]):
        return None
    # ORG/NAME, or a legacy id without an organisation (gpt2); /tree/main, /blob/... follow it
    repo_id = "/".join(path[:2]) if len(path) >= 2 and path[1] not in ("tree", "blob", "resolve", "discussions") else path[0]
    return HubRepo(kind, repo_id)


def parse_repo_argument(text: str) -> HubRepo | None:
    """``ORG/NAME``, ``datasets/ORG/NAME`` or a hub address, as ``import hf`` takes them."""
    if text.startswith(("http://", "https://")):
        return hub_repo(text)
    kind = "model"
    if text.startswith("datasets/"):
        kind, text = "dataset", text.removeprefix("datasets/")
    if not re.fullmatch(rf"{_PART}(/{_PART})?", text):
        return None
    return HubRepo(kind, text)


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "").rstrip("/") or PAGE_HOST


class HubClient:
    """Reads repositories through ``HfApi``, whose requests go through our transport."""

    def __init__(self, transport: ConditionalTransport):
        from huggingface_hub import HfApi, set_client_factory
        from huggingface_hub.utils._http import hf_request_event_hook

        self.host = urlsplit(endpoint()).hostname or "huggingface.co"
        only_repositories = _RepositoriesOnly(transport, self.host)
        set_client_factory(lambda: make_client(only_repositories, event_hooks={"request": [hf_request_event_hook]}))
        self.api = HfApi(endpoint=endpoint())

    def close(self) -> None:
        from huggingface_hub import set_client_factory
        from huggingface_hub.utils._http import default_client_factory

        set_client_factory(default_client_factory)

    def fetch(self, repo: HubRepo) -> Fetched:
        from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled, RepositoryNotFoundError

        where = ("links", "model_card")
        try:
            if repo.kind == "dataset":
                info = self.api.dataset_info(repo.repo_id, expand=DATASET_EXPAND, timeout=20)
            else:
                info = self.api.model_info(repo.repo_id, expand=MODEL_EXPAND, timeout=20)
        except OfflineModeIsEnabled:
            raise Unreachable("HF_HUB_OFFLINE is set, so huggingface_hub reads nothing from the hub: unset it, "
                              "then run again", where) from None
        except RepositoryNotFoundError:
            raise SourceFailure(f"the hub has no {repo.kind} '{repo.repo_id}' (or it is private): "
                                f"fix links.model_card, or remove it if the repository is gone", where) from None
        except HfHubHTTPError as error:
            status = error.response.status_code if error.response is not None else "?"
            raise SourceFailure(f"the hub answered HTTP {status} for '{repo.repo_id}': run again later", where) from None
        except httpx2.ConnectError as error:
            raise Unreachable(f"cannot reach {self.host} ({_reason(error)}): check the network or HF_ENDPOINT, "
                              "then run again", where) from None
        except httpx2.TimeoutException:
            raise Unreachable(f"{self.host} did not answer in time: run again later", where) from None
        except httpx2.TransportError as error:
            raise SourceFailure(f"the connection to {self.host} failed ({type(error).__name__}): run again later", where) from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise SourceFailure(f"the hub's answer for '{repo.repo_id}' is malformed (not the JSON it documents): "
                                "run again later; report it if it persists", where) from None
        return hub_facts(repo, info)


class _RepositoriesOnly(httpx2.BaseTransport):
    """Lets through only the repository requests this module makes. huggingface_hub also asks
    the hub for things of its own (an "agent harness" registry, when it thinks it runs under a
    coding agent); those are answered here with a 404 and never leave the machine."""

    def __init__(self, inner: httpx2.BaseTransport, host: str):
        self.inner, self.host = inner, host

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.host != self.host or not request.url.path.startswith(("/api/models/", "/api/datasets/")):
            return httpx2.Response(404, request=request)
        return self.inner.handle_request(request)


def _reason(error: Exception) -> str:
    text = str(error)
    return "connection refused" if "refused" in text.lower() or "Errno 111" in text else (text or type(error).__name__)


def hub_facts(asked: HubRepo, info) -> Fetched:
    repo = HubRepo(asked.kind, info.id if isinstance(info.id, str) and info.id else asked.repo_id)
    result = Fetched()
    if repo.repo_id != asked.repo_id:
        result.notes.append((("links", "model_card"), f"the hub repository '{asked.repo_id}' moved to '{repo.repo_id}': "
                                                        f"set links.model_card to {repo.page}"))
    page = repo.page
    data = {"downloads": info.downloads, "likes": info.likes}
    for signal in ("downloads", "likes"):
        value = count(data, signal, f"hub {signal}")
        if value is not None:
            result.facts.append(Fact(signal, "count", value, page))
    safetensors = getattr(info, "safetensors", None)
    if safetensors is not None:
        total = count({"total": safetensors.total}, "total", "safetensors parameter total")
        if total:
            result.facts.append(Fact("parameters", "size", total, page))
    created = day(info.created_at, "createdAt")
    if created is not None and created != HUB_EPOCH:
        result.facts.append(Fact("released", "day", created, page))
    modified = day(info.last_modified, "lastModified")
    if modified is not None:
        result.facts.append(Fact("updated", "day", modified, page))
    tags = info.tags if isinstance(info.tags, list) else []
    card = info.card_data.to_dict() if info.card_data is not None and hasattr(info.card_data, "to_dict") else {}
    license_ = card.get("license") if isinstance(card.get("license"), str) else next(
        (t.removeprefix("license:") for t in tags if isinstance(t, str) and t.startswith("license:")), None)
    result.metadata = {
        "id": repo.repo_id, "kind": repo.kind, "page": page,
        "author": info.author if isinstance(info.author, str) else repo.repo_id.partition("/")[0] if "/" in repo.repo_id else None,
        "license": license_,
        "pipeline_tag": getattr(info, "pipeline_tag", None) if isinstance(getattr(info, "pipeline_tag", None), str) else None,
        "tags": [t for t in tags if isinstance(t, str)],
        "library": getattr(info, "library_name", None),
    }
    return result
