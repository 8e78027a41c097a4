"""``unfragile evidence pull`` against the local stand-in: what it writes, what it asks, how it fails."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, run_cli, tree
from unfragile_ssg import cachefile
from unfragile_ssg.config import load_project
from unfragile_ssg.content.load import load_entries, split_front_matter
from unfragile_ssg.content.validate import validate_entries
from unfragile_ssg.evidence.github import github_repo
from unfragile_ssg.evidence.http import CACHE_FORMAT
from unfragile_ssg.evidence.hub import hub_repo
from unfragile_ssg.evidence.pull import PullOptions, pull_evidence
from unfragile_ssg.evidence.standin import github_release, github_repo_body, hub_model

from .conftest import serve_fixture_facts

EXPECTED_DIFF = Path(__file__).parent.parent / "fixtures" / "evidence-pull.diff"


def today() -> str:
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


def pull(site: Path, *args: str):
    return run_cli("evidence", "pull", *args, cwd=site)


def contents(site: Path) -> dict[str, bytes]:
    return tree(site / "content")


def test_dry_run_prints_the_diff_of_only_the_signal_lines_and_writes_nothing(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    before = tree(evidence_site)
    result = pull(evidence_site, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == EXPECTED_DIFF.read_text("utf-8").replace("{today}", today())
    assert tree(evidence_site) == before  # not even the request cache
    assert result.stderr == (
        "warning: content/models/alpha.md:19:5: kept parameters 224000000 (from "
        "https://huggingface.co/example/alpha/blob/main/config.json); https://huggingface.co/example/alpha states "
        "247000000: replace it by hand if that source is the better one\n"
        "4 sources read, would update 20 signals in 3 entries; 8 requests (0 unchanged, answered 304)\n"
    )


def test_pull_writes_the_diff_then_a_second_run_asks_only_conditionally_and_writes_nothing(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    before = contents(evidence_site)
    assert pull(evidence_site).exit_code == 0
    after = contents(evidence_site)
    written = "".join(
        "".join(difflib.unified_diff(before[name].decode().splitlines(True), after[name].decode().splitlines(True),
                                     fromfile=f"a/content/{name}", tofile=f"b/content/{name}"))
        for name in sorted(before))
    assert written == EXPECTED_DIFF.read_text("utf-8").replace("{today}", today())
    assert {p.name for p in (evidence_site / "content").rglob("*")} >= {"alpha.md"}
    assert not [p for p in evidence_site.rglob("*.tmp")]
    check = run_cli("check", cwd=evidence_site)
    assert check.exit_code == 0, check.stderr

    first_requests = len(standin.log)
    standin.clear_log()
    cache_file = evidence_site / ".unfragile-cache" / "evidence" / "http.msgpack"
    mtimes = {p: p.stat().st_mtime_ns for p in (evidence_site / "content").rglob("*.md")}
    second = pull(evidence_site)
    assert second.exit_code == 0
    assert contents(evidence_site) == after
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes  # not even rewritten with the same bytes
    assert len(standin.log) == first_requests == 8
    assert all(r.headers.get("If-None-Match") and r.status == 304 for r in standin.log), [(r.path, r.status) for r in standin.log]
    assert "0 signals in 0 entries; 8 requests (8 unchanged, answered 304)" in second.stderr
    assert len(cachefile.load(cache_file, CACHE_FORMAT)) == 8


def test_a_changed_value_is_written_after_a_304_for_the_others(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    pull(evidence_site)
    standin.repos["example/gamma"]["stargazers_count"] = 3001
    result = pull(evidence_site, "--dry-run", "gamma")
    assert result.exit_code == 0
    assert "-    value: 3000\n+    value: 3001\n" in result.stdout
    changed = [line for line in result.stdout.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ["-    value: 3000", "+    value: 3001"]
    assert "3 requests (2 unchanged, answered 304)" in result.stderr


def test_only_and_slugs_choose_what_is_asked(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    result = pull(evidence_site, "--only", "hf", "alpha", "gamma")
    assert result.exit_code == 0
    assert [r.path.split("?")[0] for r in standin.log] == ["/api/models/example/alpha"]
    text = (evidence_site / "content/models/alpha.md").read_text()
    assert "likes:" in text and "stars:" not in text
    unknown = pull(evidence_site, "alpah")
    assert unknown.exit_code == 1
    assert "alpah: no entry has the slug 'alpah' (did you mean 'alpha'?)" in unknown.stderr


def test_offline_names_the_entry_and_writes_nothing(monkeypatch, evidence_site: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{port}")
    before = tree(evidence_site)
    result = pull(evidence_site)
    assert result.exit_code == 1
    assert tree(evidence_site) == before
    lines = result.stderr.splitlines()
    assert lines[:2] == [
        "content/models/alpha.md:9:11: cannot reach 127.0.0.1 (connection refused): check the network or GITHUB_API_URL, "
        "then run again (1 more entry not fetched from it either)",
        "content/models/alpha.md:10:15: cannot reach 127.0.0.1 (connection refused): check the network or HF_ENDPOINT, "
        "then run again (1 more entry not fetched from it either)",
    ]
    assert lines[2].startswith("0 sources read, updated 0 signals in 0 entries;") and lines[2].endswith("; 2 failed")


def test_unknown_moved_malformed_and_mistyped_answers_are_one_line_each(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    del standin.models["example/beta"]  # unknown on the hub: 401 RepoNotFound, as the hub answers
    standin.repos["example/gamma-prompts"] = standin.repos.pop("example/gamma") | {
        "full_name": "example/gamma-prompts", "html_url": "https://github.com/example/gamma-prompts"}
    standin.contributors["example/gamma-prompts"] = 1
    standin.renamed_repos["example/gamma"] = "example/gamma-prompts"  # a 301 to /repositories/102
    standin.raw["/repos/example/alpha"] = (200, {"Content-Type": "application/json"}, b'{"full_name": "example/alpha", "stargazers_count": ')
    before = contents(evidence_site)
    result = pull(evidence_site)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if not line.startswith("warning") and ":" in line and "requests" not in line]
    assert errors == [
        "content/models/alpha.md:9:11: GitHub's answer for /repos/example/alpha is not JSON: run again later; report it if it persists",
        "content/models/beta.md:7:21: the hub has no model 'example/beta' (or it is private): fix links.model_card, "
        "or remove it if the repository is gone",
    ]
    assert ("warning: content/prompts/gamma.md:9:11: the repository example/gamma moved to example/gamma-prompts: "
            "set links.source to https://github.com/example/gamma-prompts") in result.stderr
    after = contents(evidence_site)
    assert after["models/beta.md"] == before["models/beta.md"]
    assert "source: https://github.com/example/gamma-prompts" in after["prompts/gamma.md"].decode()
    assert "likes:" in after["models/alpha.md"].decode()  # the hub's facts are kept; GitHub's failed
    assert "stars:" not in after["models/alpha.md"].decode()

    standin.raw["/repos/example/alpha"] = (200, {"Content-Type": "application/json"}, json.dumps(
        github_repo_body("example/alpha", 101, stars=900, forks=80, open_issues=7) | {"stargazers_count": "many"}).encode())
    result = pull(evidence_site, "alpha")
    assert result.exit_code == 1
    assert ("content/models/alpha.md:9:11: the answer's 'stargazers_count' (stars) is 'many', not a count: the API may "
            "have changed; report it, and keep the entry's value until then") in result.stderr


def test_rate_limit_stops_cleanly_keeps_what_was_fetched_and_says_when(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    standin.github_quota = 3  # alpha's three requests; gamma's first is refused
    result = run_cli("evidence", "pull", "--jobs", "1", cwd=evidence_site)
    assert result.exit_code == 1
    assert "stars:" in (evidence_site / "content/models/alpha.md").read_text()
    assert "signals: {}" in (evidence_site / "content/prompts/gamma.md").read_text()
    line = next(line for line in result.stderr.splitlines() if "rate limit" in line)
    assert line.startswith("content/prompts/gamma.md:9:11: 127.0.0.1 refuses more requests (rate limit): run again after ")
    assert line.endswith(" UTC (set GITHUB_TOKEN for a higher limit)")
    requests = len(standin.log)
    assert requests == 3 + 1 + 2  # GitHub stopped at the refusal; the hub's two were made


def test_server_errors_are_retried_with_backoff(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    standin.flaky["/repos/example/gamma"] = 2
    result = pull_evidence(load_project(evidence_site / "unfragile.yaml"),
                           PullOptions(slugs=("gamma",), backoff=0.01))
    assert not result.failed, result.problems
    assert result.stats.retried == 2
    assert [r.status for r in standin.log if r.path == "/repos/example/gamma"] == [502, 502, 200]
    standin.flaky["/repos/example/gamma"] = 5
    result = pull_evidence(load_project(evidence_site / "unfragile.yaml"), PullOptions(slugs=("gamma",), backoff=0.01))
    assert [str(p) for p in result.problems] == [
        "content/prompts/gamma.md:9:11: GitHub answered HTTP 502 for /repos/example/gamma: run again later"]


def test_a_damaged_request_cache_is_a_miss(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    cache = evidence_site / ".unfragile-cache" / "evidence" / "http.msgpack"
    cache.parent.mkdir(parents=True)
    cache.write_text('{"version": "evidence-http:1", "data": {"http://x/": {"etag": 1}}, "junk": [')
    assert pull(evidence_site).exit_code == 0
    assert not any("If-None-Match" in r.headers for r in standin.log)
    cachefile.save(cache, CACHE_FORMAT, {url: {"etag": "W/\"x\"", "headers": {}, "body": 5} for url in ("a", "b")})
    standin.clear_log()
    assert pull(evidence_site).exit_code == 0
    assert all("If-None-Match" not in r.headers for r in standin.log)


def test_licence_and_pipeline_tag_disagreements_are_notes(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    standin.models["example/beta"]["cardData"]["license"] = "cc-by-nc-4.0"
    standin.models["example/beta"]["pipeline_tag"] = "zero-shot-image-classification"
    standin.models["example/alpha"]["pipeline_tag"] = "prompt-engineering"
    result = pull(evidence_site, "--dry-run", "alpha", "beta")
    assert result.exit_code == 0
    assert ("warning: content/models/beta.md:5:10: the hub gives the licence 'cc-by-nc-4.0' "
            "(https://huggingface.co/example/beta), the entry says 'Apache-2.0': check which is right and fix "
            "'license' if needed") in result.stderr
    assert ("warning: content/models/alpha.md:12:3: the hub's pipeline tag 'prompt-engineering' is the task "
            "'prompt-engineering', which 'tasks' does not list: add it if it fits") in result.stderr


def _signal_lines(text: str) -> tuple[int, int]:
    """The 0-based first and last line of the file that ``signals`` spans."""
    front, _, _ = split_front_matter(text)
    root = yaml.compose(front, Loader=yaml.SafeLoader)
    found = next(((k, v) for k, v in root.value if k.value == "signals"), None)
    if found is None:  # none yet: the signals are inserted before the capabilities
        line = next(k for k, v in root.value if k.value == "capabilities").start_mark.line
        return line, line - 1
    key, value = found
    end = value.end_mark.line if value.end_mark.column else value.end_mark.line - 1
    return key.start_mark.line, end


def _facts_for(site: Path, server) -> None:
    """Stand-in answers for every repository the example catalog names (numbers from its name)."""
    project = load_project(site / "unfragile.yaml")
    raws, _ = load_entries(project)
    for raw in raws:
        links = raw.front.get("links") or {}
        seed = int(hashlib.sha256(raw.slug.encode()).hexdigest()[:8], 16)
        repo = hub_repo(links.get("model_card"))
        if repo is not None:
            server.models[repo.repo_id] = hub_model(repo.repo_id, downloads=seed % 900_000, likes=seed % 3000,
                                                    parameters=100_000_000 + seed % 1000, pipeline_tag="image-to-text",
                                                    license="mit")
        source = github_repo(links.get("source"))
        if source is not None:
            server.repos[source.full_name] = github_repo_body(source.full_name, seed, stars=seed % 50_000,
                                                              forks=seed % 5000, open_issues=seed % 300)
            server.contributors[source.full_name] = 1 + seed % 400
            server.releases[source.full_name] = [github_release(source.full_name, "v1.0", "2024-01-02T03:04:05Z")]


def test_pull_on_a_copy_of_the_example_site_touches_only_signal_lines(standin, tmp_path: Path) -> None:
    site = tmp_path / "example"
    site.mkdir()
    shutil.copy(ROOT / "unfragile.yaml", site)
    shutil.copytree(ROOT / "content", site / "content")
    _facts_for(site, standin)
    before = contents(site)
    result = pull(site)
    assert result.exit_code == 0, result.stderr
    after = contents(site)
    changed = [name for name in before if before[name] != after[name]]
    assert len(changed) >= 15, changed
    for name in changed:
        old, new = before[name].decode(), after[name].decode()
        old_span, new_span = _signal_lines(old), _signal_lines(new)
        matcher = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines(), autojunk=False)
        for tag, a1, a2, b1, b2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            assert old_span[0] <= a1 and a2 - 1 <= old_span[1] or tag == "insert" and a1 == old_span[0], (
                name, tag, old.splitlines()[a1:a2])
            assert new_span[0] <= b1 and b2 - 1 <= new_span[1], (name, tag, new.splitlines()[b1:b2])
        old_front, old_body, _ = split_front_matter(old)
        new_front, new_body, _ = split_front_matter(new)
        assert old_body == new_body
        old_data, new_data = yaml.safe_load(old_front), yaml.safe_load(new_front)
        assert {k: v for k, v in old_data.items() if k != "signals"} == {k: v for k, v in new_data.items() if k != "signals"}
    project = load_project(site / "unfragile.yaml")
    raws, problems = load_entries(project)
    entries, problems = validate_entries(project, raws)
    assert problems == [] and len(entries) == len(raws)
    for entry in entries:
        signals = entry.head.signals
        for name in ("downloads", "likes", "stars", "forks", "contributors", "open_issues"):
            value = getattr(signals, name)
            assert value is None or (value.as_of.isoformat() == today() or value.as_of < dt.date.fromisoformat(today()))

    standin.clear_log()
    again = pull(site)
    assert again.exit_code == 0
    assert contents(site) == after
    assert standin.log and all(r.status == 304 and r.headers.get("If-None-Match") for r in standin.log)


@pytest.mark.parametrize("only", ["hf", "github"])
def test_only_accepts_the_two_sources(only: str, standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    assert pull(evidence_site, "--only", only, "--dry-run").exit_code == 0
    hosts = {("hub" if r.path.startswith("/api/") else "github") for r in standin.log}
    assert hosts == {"hub" if only == "hf" else "github"}


def test_huggingface_hubs_offline_mode_is_one_clear_line(standin, evidence_site: Path, monkeypatch) -> None:
    from huggingface_hub import constants

    serve_fixture_facts(standin)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    result = pull(evidence_site, "--only", "hf")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "content/models/alpha.md:10:15: HF_HUB_OFFLINE is set, so huggingface_hub reads nothing from the hub: unset it, "
        "then run again (1 more entry not fetched from it either)")
    assert standin.log == []


def test_an_invalid_entry_is_reported_and_left_alone_while_the_others_are_pulled(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    broken = evidence_site / "content/models/broken.md"
    broken.write_text("---\ntitle: Broken\nlinks:\n  source: https://github.com/example/alpha\n---\n")
    result = pull(evidence_site)
    assert result.exit_code == 1
    assert "content/models/broken.md:1:1: not pulled: the entry is not valid; fix the problems above (unfragile check), " \
           "then run again" in result.stderr.splitlines()
    assert "content/models/broken.md:2:1: missing required field 'summary': add it" in result.stderr.splitlines()
    assert broken.read_text() == "---\ntitle: Broken\nlinks:\n  source: https://github.com/example/alpha\n---\n"
    assert "stars:" in (evidence_site / "content/models/alpha.md").read_text()


def test_the_hubs_rate_limit_stops_it_too(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    standin.raw["/api/models/example/alpha"] = (429, {"Retry-After": "120", "Content-Type": "application/json"}, b'{"error": "slow down"}')
    result = run_cli("evidence", "pull", "--only", "hf", "--jobs", "1", cwd=evidence_site)
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith("content/models/alpha.md:10:15: 127.0.0.1 refuses more requests (rate limit): run again after ")
    assert first.endswith(" UTC (set HF_TOKEN for a higher limit) (1 more entry not fetched from it either)")
    assert [r.path.split("?")[0] for r in standin.log] == ["/api/models/example/alpha"]  # beta was not asked


def test_a_connection_that_breaks_half_way_is_one_line(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    # a second, contradicting Content-Length (the stand-in adds the true one): a broken HTTP answer
    standin.raw["/repos/example/gamma"] = (200, {"Content-Type": "application/json", "Content-Length": "100", "Connection": "close"}, b"{}")
    result = pull(evidence_site, "gamma")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "content/prompts/gamma.md:9:11: the connection to 127.0.0.1 failed (RemoteProtocolError): run again later")


def test_the_hubs_placeholder_creation_day_is_not_a_release_day(standin, evidence_site: Path) -> None:
    serve_fixture_facts(standin)
    standin.models["example/beta"]["createdAt"] = "2022-03-02T23:29:04.000Z"  # what the hub gives older repositories
    result = pull(evidence_site, "--dry-run", "beta")
    assert result.exit_code == 0
    assert "released" not in result.stdout and "updated: {value: 2023-04-01" in result.stdout
