"""The pieces of the HTTP layer that the end-to-end tests cannot pin down alone."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx2

from unfragile_ssg import cachefile
from unfragile_ssg.evidence.github import _last_page, github_repo
from unfragile_ssg.evidence.http import CACHE_FORMAT, MAX_CACHED_BODY_BYTES, EtagCache, _retry_at
from unfragile_ssg.evidence.hub import HubRepo, hub_repo


def test_the_contributor_count_is_the_last_page_of_the_link_header() -> None:
    link = ('<https://api.github.com/repositories/1/contributors?per_page=1&anon=1&page=2>; rel="next", '
            '<https://api.github.com/repositories/1/contributors?per_page=1&anon=1&page=417>; rel="last"')
    assert _last_page(link) == 417
    assert _last_page('<https://x/?page=2>; rel="next"') is None
    assert _last_page(None) is None


def test_retry_time_from_retry_after_or_the_reset_header() -> None:
    reset = int(dt.datetime(2026, 12, 2, 5, 10, tzinfo=dt.timezone.utc).timestamp())
    assert _retry_at(httpx2.Headers({"x-ratelimit-reset": str(reset)})) == dt.datetime(2026, 12, 2, 5, 10, tzinfo=dt.timezone.utc)
    soon = _retry_at(httpx2.Headers({"retry-after": "60"}))
    assert soon is not None and 50 < (soon - dt.datetime.now(dt.timezone.utc)).total_seconds() <= 60
    assert _retry_at(httpx2.Headers({})) is None


def test_the_request_cache_is_keyed_bounded_and_drops_what_it_cannot_use(tmp_path: Path) -> None:
    path = tmp_path / "http.msgpack"
    cache = EtagCache(path)
    cache.put("https://api/x", 'W/"1"', {"link": "<a>"}, '{"a": 1}')
    cache.save()
    assert cachefile.load(path, CACHE_FORMAT) == {"https://api/x": {"etag": 'W/"1"', "headers": {"link": "<a>"}, "body": '{"a": 1}'}}
    assert EtagCache(path).get("https://api/x")["etag"] == 'W/"1"'
    cachefile.save(path, CACHE_FORMAT, {"ok": {"etag": "e", "headers": {}, "body": ""},
                                        "big": {"etag": "e", "headers": {}, "body": "x" * (MAX_CACHED_BODY_BYTES + 1)},
                                        "bad": {"etag": "e", "headers": {"a": 1}, "body": ""}})
    assert set(EtagCache(path).entries) == {"ok"}
    cachefile.save(path, "another-format", {"ok": {"etag": "e", "headers": {}, "body": ""}})
    assert EtagCache(path).entries == {}


def test_a_request_cache_written_under_another_key_is_ignored(tmp_path: Path, monkeypatch) -> None:
    """A cache committed by a stranger cannot make a 304 answer with a body of its choosing."""
    path = tmp_path / "http.msgpack"
    monkeypatch.setenv(cachefile.KEY_VARIABLE, "a stranger's key")
    cachefile.cache_key.cache_clear()
    try:
        cache = EtagCache(path)
        cache.put("https://api/x", 'W/"1"', {}, '{"stargazers_count": 999999}')
        cache.save()
        assert EtagCache(path).get("https://api/x") is not None
        monkeypatch.setenv(cachefile.KEY_VARIABLE, "the maintainer's key")
        cachefile.cache_key.cache_clear()
        assert EtagCache(path).entries == {}
    finally:
        cachefile.cache_key.cache_clear()


def test_an_oversized_request_cache_is_not_read(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "http.msgpack"
    cache = EtagCache(path)
    cache.put("https://api/x", "e", {}, "{}")
    cache.save()
    monkeypatch.setattr("unfragile_ssg.evidence.http.MAX_CACHE_BYTES", path.stat().st_size - 1)
    assert EtagCache(path).entries == {}


def test_addresses_name_their_repositories() -> None:
    assert hub_repo("https://huggingface.co/Salesforce/blip-image-captioning-base") == HubRepo("model", "Salesforce/blip-image-captioning-base")
    assert hub_repo("https://huggingface.co/datasets/nlphuji/flickr30k/tree/main") == HubRepo("dataset", "nlphuji/flickr30k")
    assert hub_repo("https://huggingface.co/gpt2/tree/main") == HubRepo("model", "gpt2")
    assert hub_repo("https://huggingface.co/docs/transformers/model_doc/blip") is None
    assert hub_repo("https://example.org/Salesforce/blip") is None
    assert github_repo("https://github.com/salesforce/BLIP/tree/main/models").full_name == "salesforce/BLIP"
    assert github_repo("https://github.com/salesforce") is None
    assert github_repo("https://gitlab.com/a/b") is None
