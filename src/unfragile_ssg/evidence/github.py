"""Facts of a GitHub repository, read from the REST API.

``GITHUB_API_URL`` is the API's base (GitHub Actions sets it; default the public API) and
``GITHUB_TOKEN`` authenticates when set. Three requests a repository: the repository, its
contributors one per page (the ``Link`` header's last page is the count) and its latest release.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx2

from .facts import Fact, Fetched, SourceFailure, Unreachable, count, day
from .http import ConditionalTransport, make_client

DEFAULT_API = "https://api.github.com"
RELEASES_READ = 10  # the newest first; the latest full release is among them unless ten pre-releases followed it
_NAME = r"[A-Za-z0-9_.-]+"


@dataclass(frozen=True)
class GithubRepo:
    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def github_repo(url: str | None) -> GithubRepo | None:
    """The repository a ``github.com`` address names (``/OWNER/REPO`` and anything after)."""
    if not url:
        return None
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in ("github.com", "www.github.com"):
        return None
    path = [p for p in parts.path.split("/") if p]
    if len(path) < 2 or not re.fullmatch(_NAME, path[0]) or not re.fullmatch(_NAME, path[1]):
        return None
    return GithubRepo(path[0], path[1].removesuffix(".git"))


class GithubClient:
    def __init__(self, transport: ConditionalTransport):
        self.base = os.environ.get("GITHUB_API_URL", "").rstrip("/") or DEFAULT_API
        self.host = urlsplit(self.base).hostname or "api.github.com"
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                   "User-Agent": "unfragile-ssg evidence pull"}
        token = os.environ.get("GITHUB_TOKEN")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = make_client(transport, headers=headers)

    def close(self) -> None:
        self.client.close()

    def get(self, path: str, *, params: dict | None = None, missing_ok: bool = False) -> httpx2.Response | None:
        where = ("links", "source")
        try:
            response = self.client.get(f"{self.base}{path}", params=params)
        except httpx2.ConnectError as error:
            reason = "connection refused" if "refused" in str(error).lower() or "111" in str(error) else str(error)
            raise Unreachable(f"cannot reach {self.host} ({reason}): check the network or GITHUB_API_URL, then run again", where) from None
        except httpx2.TimeoutException:
            raise Unreachable(f"{self.host} did not answer in time: run again later", where) from None
        except httpx2.TooManyRedirects:
            raise SourceFailure(f"{self.host} redirects {path} in a loop: check links.source", where) from None
        except httpx2.TransportError as error:  # the connection broke half-way, a protocol error...
            raise SourceFailure(f"the connection to {self.host} failed ({type(error).__name__}): run again later", where) from None
        if response.status_code == 404:
            if missing_ok:
                return None
            raise SourceFailure(f"GitHub has no repository at {path.removeprefix('/repos/')} (404), or it is private: "
                                "fix links.source, or remove it if the repository is gone", where)
        if response.status_code in (204,) and missing_ok:
            return None
        if response.status_code != 200:
            raise SourceFailure(f"GitHub answered HTTP {response.status_code} for {path}: run again later", where)
        return response

    def json(self, response: httpx2.Response, expect: type):
        try:
            data = response.json()
        except ValueError:
            raise SourceFailure(f"GitHub's answer for {response.url.path} is not JSON: run again later; report it if "
                                "it persists", ("links", "source")) from None
        if not isinstance(data, expect):
            raise SourceFailure(f"GitHub's answer for {response.url.path} is a {type(data).__name__}, not the "
                                f"{expect.__name__} it documents: run again later", ("links", "source"))
        return data

    def fetch(self, repo: GithubRepo, *, owns_artifact: bool) -> Fetched:
        """``owns_artifact``: the repository is where the artifact is published (no hub repo), so its
        last push is the artifact's ``updated`` and its creation its ``released``."""
        try:
            return self._fetch(repo, owns_artifact)
        except SourceFailure as failure:
            if not failure.where:
                failure.where = ("links", "source")
            raise

    def _fetch(self, repo: GithubRepo, owns_artifact: bool) -> Fetched:
        data = self.json(self.get(f"/repos/{repo.full_name}"), dict)
        full_name = data.get("full_name")
        if not isinstance(full_name, str) or "/" not in full_name or not re.fullmatch(f"{_NAME}/{_NAME}", full_name):
            raise SourceFailure("GitHub's answer has no valid 'full_name': run again later; report it if it persists")
        result = Fetched()
        if full_name.lower() != repo.full_name.lower():
            result.notes.append((("links", "source"), f"the repository {repo.full_name} moved to {full_name}: set "
                                                       f"links.source to https://github.com/{full_name}"))
        page = data.get("html_url")
        if not isinstance(page, str) or not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d+)?/" + _NAME + "/" + _NAME, page):
            page = f"https://github.com/{full_name}"
        for signal, key in (("stars", "stargazers_count"), ("forks", "forks_count"), ("open_issues", "open_issues_count")):
            value = count(data, key, signal)
            if value is not None:
                result.facts.append(Fact(signal, "count", value, page))
        pushed = day(data.get("pushed_at"), "pushed_at")
        if pushed is not None:
            result.facts.append(Fact("updated" if owns_artifact else "pushed", "day", pushed, page))
        created = day(data.get("created_at"), "created_at")
        if created is not None and owns_artifact:
            result.facts.append(Fact("released", "day", created, page))

        contributors = self.get(f"/repos/{full_name}/contributors", params={"per_page": "1", "anon": "1"}, missing_ok=True)
        if contributors is not None:
            total = _last_page(contributors.headers.get("link"))
            if total is None:
                total = len(self.json(contributors, list))
            result.facts.append(Fact("contributors", "count", total, page))

        # the list, not /releases/latest: a repository without releases answers it with an empty
        # list and an ETag (the latter with a 404 that cannot be asked conditionally)
        releases = self.get(f"/repos/{full_name}/releases", params={"per_page": str(RELEASES_READ)}, missing_ok=True)
        latest = None
        for release in self.json(releases, list) if releases is not None else ():
            if not isinstance(release, dict) or release.get("draft") or release.get("prerelease"):
                continue
            published = day(release.get("published_at") or release.get("created_at"), "published_at")
            url = release.get("html_url")
            if published is not None and isinstance(url, str) and url.startswith(page + "/releases/"):
                if latest is None or published > latest.value:
                    latest = Fact("latest_release", "day", published, url, owns_prefix=page + "/releases/")
        if latest is not None:
            result.facts.append(latest)

        license_ = data.get("license")
        spdx = license_.get("spdx_id") if isinstance(license_, dict) else None
        result.metadata = {"full_name": full_name, "page": page,
                           "license": spdx if isinstance(spdx, str) and spdx != "NOASSERTION" else None,
                           "description": data.get("description") if isinstance(data.get("description"), str) else None}
        return result


def _last_page(link: str | None) -> int | None:
    """The page number of ``rel="last"`` in a ``Link`` header (RFC 8288), None without one."""
    if not link:
        return None
    for part in link.split(","):
        match = re.match(r'\s*<([^>]*)>\s*;(.*)', part)
        if match and re.search(r'rel="?last"?', match.group(2)):
            page = parse_qs(urlsplit(match.group(1)).query).get("page", [""])[0]
            if page.isdigit():
                return int(page)
    return None
