"""A local stand-in for the Hugging Face Hub API and GitHub's REST API, for tests and benchmarks.

It serves 127.0.0.1 only, in the shapes the real APIs document: JSON bodies, weak ETags and 304
answers to ``If-None-Match``, ``Link`` pagination, 404/401 for unknown repositories (with the
hub's ``X-Error-Code``), 301 for a renamed GitHub repository, 307 for a renamed hub one, and
rate limits (403 with ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset``). Every request
is logged with its headers so tests can see what the clients sent.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Logged:
    method: str
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class StandIn:
    models: dict[str, dict] = field(default_factory=dict)  # hub id -> /api/models body
    datasets: dict[str, dict] = field(default_factory=dict)
    repos: dict[str, dict] = field(default_factory=dict)  # "owner/name" -> /repos body
    contributors: dict[str, int] = field(default_factory=dict)
    releases: dict[str, list[dict]] = field(default_factory=dict)  # full name -> /releases body, newest first
    renamed_repos: dict[str, str] = field(default_factory=dict)  # old full name -> new
    renamed_models: dict[str, str] = field(default_factory=dict)
    raw: dict[str, tuple[int, dict, bytes]] = field(default_factory=dict)  # path -> a fixed answer
    flaky: dict[str, int] = field(default_factory=dict)  # path -> 502s to answer first
    github_quota: int | None = None  # GitHub requests answered before the rate limit
    log: list[Logged] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- running
    def start(self) -> str:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: Nagle would hold the body for an ACK

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                status, headers, body = standin.answer(self.path, {k.lower(): v for k, v in self.headers.items()})
                with standin._lock:
                    standin.log.append(Logged("GET", self.path, dict(self.headers.items()), status))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "StandIn":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    # --- answers
    def answer(self, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        with self._lock:
            if self.flaky.get(path, 0) > 0:
                self.flaky[path] -= 1
                return 502, {"Content-Type": "text/html"}, b"<html>Bad gateway</html>"
        if path in self.raw:
            status, extra, body = self.raw[path]
            return status, extra, body
        if path.startswith("/api/"):
            status, extra, data = self._hub(path, query)
        else:
            limited = self._spend_github_quota()
            if limited is not None:
                return limited
            status, extra, data = self._github(path, query)
        if isinstance(data, bytes):
            return status, extra, data
        body = json.dumps(data, sort_keys=True).encode()
        extra = {"Content-Type": "application/json; charset=utf-8", **extra}
        if status == 200:
            etag = 'W/"' + hashlib.sha1(body).hexdigest() + '"'
            extra["ETag"] = etag
            if headers.get("if-none-match") == etag:
                return 304, {"ETag": etag}, b""
        return status, extra, body

    def _spend_github_quota(self) -> tuple[int, dict, bytes] | None:
        with self._lock:
            if self.github_quota is None:
                return None
            if self.github_quota > 0:
                self.github_quota -= 1
                return None
        reset = str(int(time.time()) + 3600)
        body = json.dumps({"message": "API rate limit exceeded for 127.0.0.1.",
                           "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}).encode()
        return 403, {"Content-Type": "application/json", "x-ratelimit-limit": "60", "x-ratelimit-remaining": "0",
                     "x-ratelimit-reset": reset}, body

    def _hub(self, path: str, query: dict) -> tuple[int, dict, Any]:
        for prefix, store in (("/api/models/", self.models), ("/api/datasets/", self.datasets)):
            if not path.startswith(prefix):
                continue
            repo_id = path.removeprefix(prefix)
            if repo_id in self.renamed_models and store is self.models:
                return 307, {"Location": prefix + self.renamed_models[repo_id] + _query(query)}, b""
            if repo_id not in store:
                return 401, {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"}, {"error": "Repository not found"}
            body = store[repo_id]
            expand = query.get("expand")
            if expand:
                body = {k: v for k, v in body.items() if k in ("_id", "id") or k in expand}
            return 200, {}, body
        return 404, {}, {"error": "Not found"}

    def _github(self, path: str, query: dict) -> tuple[int, dict, Any]:
        quota = {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "59"}
        not_found = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}
        segments = path.strip("/").split("/")
        if segments[0] == "repositories" and len(segments) >= 2:
            full = next((name for name, body in self.repos.items() if str(body.get("id")) == segments[1]), None)
            rest = segments[2:]
        elif segments[0] == "repos" and len(segments) >= 3:
            asked = f"{segments[1]}/{segments[2]}"
            if asked.lower() in {k.lower() for k in self.renamed_repos}:
                new = next(v for k, v in self.renamed_repos.items() if k.lower() == asked.lower())
                location = f"/repositories/{self.repos[new]['id']}" + ("/" + "/".join(segments[3:]) if segments[3:] else "")
                return 301, {"Location": location + _query(query), **quota}, {"message": "Moved Permanently", "url": location}
            full = next((name for name in self.repos if name.lower() == asked.lower()), None)
            rest = segments[3:]
        else:
            return 404, quota, not_found
        if full is None:
            return 404, quota, not_found
        if not rest:
            return 200, quota, self.repos[full]
        if rest == ["contributors"]:
            total = self.contributors.get(full, 0)
            if total == 0:
                return 204, quota, b""
            per_page = int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
            pages = -(-total // per_page)
            items = [{"login": f"user{i}", "type": "User", "contributions": total - i}
                     for i in range((page - 1) * per_page, min(total, page * per_page))]
            extra = dict(quota)
            if pages > 1:
                base = f"https://api.github.com/repositories/{self.repos[full]['id']}/contributors?per_page={per_page}&anon=1"
                links = []
                if page < pages:
                    links.append(f'<{base}&page={page + 1}>; rel="next"')
                links.append(f'<{base}&page={pages}>; rel="last"')
                extra["Link"] = ", ".join(links)
            return 200, extra, items
        if rest == ["releases"]:
            per_page = int(query.get("per_page", ["30"])[0])
            return 200, quota, self.releases.get(full, [])[:per_page]
        return 404, quota, not_found


def _query(query: dict) -> str:
    if not query:
        return ""
    return "?" + "&".join(f"{k}={v}" for k, values in query.items() for v in values)


def hub_model(repo_id: str, *, downloads: int, likes: int, created: str = "2023-01-10T08:00:00.000Z",
              modified: str = "2024-05-01T12:00:00.000Z", parameters: int | None = None,
              pipeline_tag: str | None = None, license: str | None = None) -> dict:
    """A ``GET /api/models/ID`` body as the hub documents it (the fields this project reads)."""
    body: dict[str, Any] = {
        "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24], "id": repo_id, "modelId": repo_id,
        "author": repo_id.split("/")[0], "downloads": downloads, "likes": likes, "createdAt": created,
        "lastModified": modified, "private": False, "gated": False, "disabled": False,
        "tags": ["transformers", "pytorch"] + ([f"license:{license}"] if license else []) + ([pipeline_tag] if pipeline_tag else []),
        "library_name": "transformers",
    }
    if pipeline_tag:
        body["pipeline_tag"] = pipeline_tag
    if license:
        body["cardData"] = {"license": license, "tags": []}
    if parameters is not None:
        body["safetensors"] = {"parameters": {"F32": parameters}, "total": parameters}
    return body


def github_repo_body(full_name: str, repo_id: int, *, stars: int, forks: int, open_issues: int,
                     pushed: str = "2024-06-01T10:00:00Z", created: str = "2021-03-04T05:06:07Z",
                     license: str | None = "MIT", description: str | None = None) -> dict:
    """A ``GET /repos/OWNER/REPO`` body as GitHub documents it (the fields this project reads)."""
    owner, name = full_name.split("/")
    return {
        "id": repo_id, "name": name, "full_name": full_name, "private": False,
        "owner": {"login": owner, "type": "Organization"},
        "html_url": f"https://github.com/{full_name}", "description": description,
        "stargazers_count": stars, "watchers_count": stars, "forks_count": forks, "open_issues_count": open_issues,
        "pushed_at": pushed, "created_at": created, "updated_at": pushed, "default_branch": "main",
        "license": {"key": license.lower(), "spdx_id": license, "name": license} if license else None,
    }


def github_release(full_name: str, tag: str, published: str) -> dict:
    return {"tag_name": tag, "name": tag, "draft": False, "prerelease": False, "created_at": published,
            "published_at": published, "html_url": f"https://github.com/{full_name}/releases/tag/{tag}"}
