"""Term counts: what is counted, keys stable across processes, and the cache between builds."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from unfragile_ssg.catalog import terms
from unfragile_ssg.catalog.text import entry_text, term_counts, term_key, tfidf, tfidf_from_counts
from unfragile_ssg.memo import Caches

from .helpers import make_entry


def test_counts_words_without_stopwords_numbers_or_single_letters() -> None:
    keys, counts = term_counts("The caption, the CAPTION and a caption: 2026 x encoder-decoder")
    found = dict(zip(keys.tolist(), counts.tolist()))
    assert found == {term_key("caption"): 3.0, term_key("encoder"): 1.0, term_key("decoder"): 1.0}
    assert list(keys) == sorted(keys)


def test_term_keys_do_not_depend_on_the_process_hash_seed() -> None:
    script = "from unfragile_ssg.catalog.text import term_key; print(term_key('caption'), term_key('décodeur'))"
    seen = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    assert seen == {f"{term_key('caption')} {term_key('décodeur')}\n"}


def test_tfidf_from_cached_counts_equals_tfidf_of_the_texts() -> None:
    texts = ["image caption model", "caption prompts for agents", "", "agents agents tools"]
    direct = tfidf(texts)
    again = tfidf_from_counts([term_counts(t) for t in texts])
    for name in ("indptr", "indices", "data", "terms"):
        assert np.array_equal(getattr(direct, name), getattr(again, name))
    assert direct.rows == 4 and direct.indptr[3] == direct.indptr[2]  # the empty text has no terms


def _entries():
    return [dataclasses.replace(make_entry(slug, text=f"{slug} image caption"), digest=slug * 4)
            for slug in ("alpha", "beta", "gamma")]


def test_cache_counts_only_changed_entries_and_gives_the_same_counts(tmp_path: Path, monkeypatch) -> None:
    entries = _entries()
    first = terms.entry_term_counts(entries, Caches(tmp_path))  # each build its own Caches: read from the file
    counted: list[str] = []
    real = terms.term_counts
    monkeypatch.setattr(terms, "term_counts", lambda text: counted.append(text) or real(text))

    again = terms.entry_term_counts(entries, Caches(tmp_path))
    assert counted == []
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(first, again))

    entries[1] = dataclasses.replace(make_entry("beta", text="beta video"), digest="changed")
    changed = terms.entry_term_counts(entries, Caches(tmp_path))
    assert len(counted) == 1 and "video" in counted[0]
    assert term_key("video") in changed[1][0].tolist()


def test_damaged_cache_is_counted_again_and_replaced(tmp_path: Path) -> None:
    (tmp_path / "terms.msgpack").write_bytes(b"not a cache file")
    entries = _entries()
    counts = terms.entry_term_counts(entries, Caches(tmp_path))
    assert [keys.tolist() for keys, _ in counts] == [term_counts(entry_text(e))[0].tolist() for e in entries]
    assert terms._unpack(Caches(tmp_path).memo("terms", terms.StoredCounts).get()).keys() == {e.digest for e in entries}
