"""One HTTP client for every source: timeouts, conditional requests, backoff, rate limits.

Every GET whose answer carried an ETag is remembered in ``.unfragile-cache/evidence/http.msgpack``
and asked again with ``If-None-Match``: an unchanged resource costs the server a 304 and no quota
on GitHub. On a 304 the remembered body is what the facts are read from, so the file is a cache
like the build's (``cachefile``): MessagePack, never executed, checksummed with the user's cache
key. One that arrives by pull request, or is damaged, bounded over size, or written under
another key, reads as empty: it costs full requests, never a forged count.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from .. import cachefile
from ..memo import CacheLayout

CACHE_FORMAT = "evidence-http:2"
MAX_CACHE_BYTES = 64 * 1024 * 1024
MAX_BODY_BYTES = 2 * 1024 * 1024  # far above any API answer read here; stops a hostile server
MAX_CACHED_BODY_BYTES = 256 * 1024
KEPT_HEADERS = ("content-type", "link", "etag")
TIMEOUT = httpx2.Timeout(20.0, connect=10.0)


class RateLimited(Exception):
    """The server refuses more requests until ``retry_at`` (None: it did not say)."""

    def __init__(self, host: str, retry_at: dt.datetime | None):
        super().__init__(f"{host} rate limit reached")
        self.host, self.retry_at = host, retry_at


class ResponseTooLarge(Exception):
    pass


@dataclass
class Stats:
    requests: int = 0
    not_modified: int = 0
    retried: int = 0


class EtagCache:
    """ETags and the bodies they stand for, by URL."""

    def __init__(self, path: Path | None):
        self.path = path
        self.lock = threading.Lock()
        self.entries: dict[str, dict[str, Any]] = {}
        self.changed = False
        stored = _load_bounded(path) if path is not None else None
        if isinstance(stored, dict):
            self.entries = {url: item for url, item in stored.items() if isinstance(url, str) and _usable(item)}

    def get(self, url: str) -> dict[str, Any] | None:
        with self.lock:
            return self.entries.get(url)

    def put(self, url: str, etag: str, headers: dict[str, str], body: str) -> None:
        item = {"etag": etag, "headers": headers, "body": body}
        with self.lock:
            if self.entries.get(url) != item:
                self.entries[url] = item
                self.changed = True

    def save(self) -> None:
        if self.path is not None and self.changed:
            with self.lock:
                cachefile.save(self.path, CACHE_FORMAT, dict(sorted(self.entries.items())))
                self.changed = False


def _load_bounded(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_CACHE_BYTES:
            return None
    except OSError:
        return None
    return cachefile.load(path, CACHE_FORMAT)


def cache_path(cache_dir: Path) -> Path:
    return CacheLayout(cache_dir).file("evidence/http")


def _usable(item: Any) -> bool:
    return (isinstance(item, dict) and isinstance(item.get("etag"), str) and isinstance(item.get("body"), str)
            and len(item["body"]) <= MAX_CACHED_BODY_BYTES and isinstance(item.get("headers"), dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in item["headers"].items()))


class ConditionalTransport(httpx2.BaseTransport):
    """Adds ``If-None-Match`` from the cache and answers a 304 with the cached body; retries
    5xx answers and timeouts with exponential backoff; raises ``RateLimited`` on 429, or on a
    403 that says the quota is spent."""

    def __init__(self, cache: EtagCache, stats: Stats, *, retries: int = 3, backoff: float = 1.0,
                 inner: httpx2.BaseTransport | None = None):
        self.cache, self.stats = cache, stats
        self.retries, self.backoff = retries, backoff
        self.inner = inner or httpx2.HTTPTransport()
        self.lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = str(request.url)
        cached = self.cache.get(url) if request.method == "GET" else None
        if cached is not None:
            request.headers["If-None-Match"] = cached["etag"]
        for attempt in range(self.retries + 1):
            self._count("requests")
            try:
                response = self.inner.handle_request(request)
            except httpx2.TimeoutException:
                if attempt == self.retries:
                    raise
                self._wait(attempt)
                continue
            if response.status_code >= 500 and attempt < self.retries:
                response.close()
                self._wait(attempt)
                continue
            break
        _check_rate_limit(request, response)
        if response.status_code == 304 and cached is not None:
            response.close()
            self._count("not_modified")
            return httpx2.Response(200, headers=cached["headers"], content=cached["body"].encode("utf-8"), request=request)
        body = _read_bounded(response)
        etag = response.headers.get("etag")
        if response.status_code == 200 and etag and request.method == "GET" and len(body) <= MAX_CACHED_BODY_BYTES:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None:
                kept = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
                self.cache.put(url, etag, kept, text)
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")]
        return httpx2.Response(response.status_code, headers=headers, content=body, request=request)

    def close(self) -> None:
        self.inner.close()

    def _count(self, name: str) -> None:
        with self.lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    def _wait(self, attempt: int) -> None:
        self._count("retried")
        time.sleep(self.backoff * 2 ** attempt)


def _read_bounded(response: httpx2.Response) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            response.close()
            raise ResponseTooLarge(f"{response.request.url.host} answered more than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    response.close()
    return b"".join(chunks)


def _check_rate_limit(request: httpx2.Request, response: httpx2.Response) -> None:
    status, headers = response.status_code, response.headers
    spent = status == 403 and (headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers)
    if status != 429 and not spent:
        return
    response.close()
    raise RateLimited(request.url.host, _retry_at(headers))


def _retry_at(headers: httpx2.Headers) -> dt.datetime | None:
    now = dt.datetime.now(dt.timezone.utc)
    after = headers.get("retry-after", "").strip()
    if after.isdigit():
        return now + dt.timedelta(seconds=int(after))
    if after:
        try:
            return email.utils.parsedate_to_datetime(after).astimezone(dt.timezone.utc)
        except (TypeError, ValueError):
            pass
    reset = headers.get("x-ratelimit-reset", "").strip()
    if reset.isdigit():
        return dt.datetime.fromtimestamp(int(reset), dt.timezone.utc)
    return None


def make_client(transport: ConditionalTransport, headers: dict[str, str] | None = None, **options: Any) -> httpx2.Client:
    return httpx2.Client(transport=transport, headers=headers, timeout=TIMEOUT, follow_redirects=True, **options)
