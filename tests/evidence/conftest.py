"""The local stand-in for the hub and GitHub, and the environment that points the clients at it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from unfragile_ssg.evidence.standin import StandIn, github_release, github_repo_body, hub_model

FIXTURE = Path(__file__).parent.parent / "fixtures" / "evidence"


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch):
    server = StandIn()
    url = server.start()
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("GITHUB_API_URL", url)
    for name in ("HF_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.stop()


def serve_fixture_facts(server: StandIn) -> None:
    """What the stand-in says about the fixture site's repositories."""
    server.models["example/alpha"] = hub_model("example/alpha", downloads=1500, likes=42, parameters=247000000,
                                               pipeline_tag="image-to-text", license="mit",
                                               created="2022-01-28T10:00:00.000Z", modified="2024-05-01T12:00:00.000Z")
    server.models["example/beta"] = hub_model("example/beta", downloads=20, likes=5, pipeline_tag="image-to-text",
                                              license="apache-2.0", created="2023-03-01T00:00:00.000Z",
                                              modified="2023-04-01T00:00:00.000Z")
    server.repos["example/alpha"] = github_repo_body("example/alpha", 101, stars=900, forks=80, open_issues=7,
                                                     pushed="2024-06-01T10:00:00Z")
    server.contributors["example/alpha"] = 23
    server.releases["example/alpha"] = [
        github_release("example/alpha", "v2.0-rc1", "2024-07-01T00:00:00Z") | {"prerelease": True},
        github_release("example/alpha", "v1.2", "2024-02-03T00:00:00Z"),
    ]
    server.repos["example/gamma"] = github_repo_body("example/gamma", 102, stars=3000, forks=250, open_issues=0,
                                                     pushed="2025-01-02T03:04:05Z", created="2022-12-24T00:00:00Z",
                                                     license="CC0-1.0")
    server.contributors["example/gamma"] = 1


@pytest.fixture
def evidence_site(tmp_path: Path) -> Path:
    """A writable copy of the evidence fixture site; returns its root."""
    target = tmp_path / "site"
    shutil.copytree(FIXTURE, target)
    return target
