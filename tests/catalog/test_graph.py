from __future__ import annotations

import dataclasses
import hashlib
import random

import numpy as np
import pytest

from unfragile_ssg.catalog import graph as graph_module
from unfragile_ssg.catalog.enrich import build_catalog
from unfragile_ssg.catalog.graph import build_graph, nearest, strength_score, top_candidates_exact, update_graph, weighted_degree
from unfragile_ssg.catalog.text import tfidf
from unfragile_ssg.config import MatchSettings
from unfragile_ssg.content.validate import Fields
from unfragile_ssg.memo import Caches

from .helpers import make_entry, random_entries, settings


def test_pair_dots_equal_dense_cosines():
    rng = random.Random(1)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 30))) for _ in range(40)]
    tf = tfidf(texts)
    dense = np.zeros((tf.rows, len(tf.terms)))
    for r in range(tf.rows):
        dense[r, tf.indices[tf.indptr[r]:tf.indptr[r + 1]]] = tf.data[tf.indptr[r]:tf.indptr[r + 1]]
    a, b = np.triu_indices(tf.rows, 1)
    assert np.allclose(tf.pair_dots(a, b), (dense[a] * dense[b]).sum(axis=1))
    assert np.allclose(tf.pair_dots(b, a), (dense[a] * dense[b]).sum(axis=1))


def test_curated_pairs_always_count_and_slugs_are_canonical():
    entries = [make_entry("zeta", text="caption image", compare_with=["alpha"]),
               make_entry("alpha", kind="prompts", tasks=["agents"], text="agent tool plan")]
    graph = build_graph(entries, settings())
    assert [(p.slug, p.curated) for p in graph.pairs] == [("alpha-vs-zeta", True)]


def test_each_entry_keeps_its_k_strongest_neighbours_above_the_threshold():
    entries = random_entries(random.Random(3), 60)
    s = settings(match=MatchSettings(neighbours=2, threshold=0.3))
    graph = build_graph([e for e in entries if not e.fields.compare_with], s)
    found = [p for p in graph.pairs if not p.curated]
    assert found and all(p.weight >= 0.3 for p in found)
    degree: dict[str, int] = {}
    for p in found:
        assert p.a < p.b
        degree[p.a] = degree.get(p.a, 0) + 1
        degree[p.b] = degree.get(p.b, 0) + 1
    # union of each side's top 2: nobody is kept by fewer than one side, so the total is at most 2 per entry
    assert len(found) <= 2 * len(entries)


def test_sketch_candidates_find_the_exact_neighbours():
    entries = random_entries(random.Random(5), 300)
    exact = build_graph(entries, settings(match=MatchSettings(candidates=1000)))
    sketched = build_graph(entries, settings(match=MatchSettings(candidates=24)))
    assert exact.exact and not sketched.exact
    a, b = {p.slug for p in exact.pairs}, {p.slug for p in sketched.pairs}
    assert len(a & b) / len(a) > 0.97


def test_graph_does_not_depend_on_input_order():
    entries = random_entries(random.Random(7), 80)
    shuffled = entries[:]
    random.Random(0).shuffle(shuffled)
    one, two = build_graph(entries, settings()), build_graph(shuffled, settings())
    assert one.pairs == two.pairs and one.scores == two.scores


def test_match_graph_score_is_weighted_degree_on_a_fixed_scale():
    strength = weighted_degree(4, np.array([0, 0]), np.array([1, 2]), np.array([0.75, 0.5]))
    assert strength.tolist() == [1.25, 0.75, 0.5, 0.0]
    assert strength_score(strength, 1.0).tolist() == [100.0, 75.0, 50.0, 0.0]
    entries = [make_entry("hub", compare_with=["x", "y"]), make_entry("x", text="x"), make_entry("y", text="y"),
               make_entry("lonely", kind="prompts", tasks=["agents"], text="nothing shared")]
    graph = build_graph(entries, settings(match=MatchSettings(neighbours=0, full_strength=1.0)))
    assert graph.scores["hub"] == 100 and graph.scores["lonely"] == 0 and 0 < graph.scores["x"] < 100


def test_an_edit_changes_only_the_scores_of_entries_whose_comparisons_change():
    entries = random_entries(random.Random(5), 60)
    before = build_graph(entries, settings())
    edited = entries[:]
    edited[0] = make_entry(entries[0].slug, text="a completely different description of a quantum toaster")
    after = build_graph(edited, settings())
    touched = {s for p in before.pairs + after.pairs if (p in before.pairs) != (p in after.pairs) for s in (p.a, p.b)}
    changed = {s for s in before.scores if before.scores[s] != after.scores[s]}
    assert changed and changed <= touched | {entries[0].slug}


def test_times_matched_counts_comparison_pages():
    entries = random_entries(random.Random(11), 50)
    catalog = build_catalog(type("P", (), {"settings": settings()})(), entries)
    for e in entries:
        assert catalog.times_matched(e.slug) == sum(e.slug in (p.a, p.b) for p in catalog.pairs)
    assert len({p.slug for p in catalog.pairs}) == len(catalog.pairs)


def test_nearest_excludes_self_and_breaks_ties_by_row_number():
    v = np.eye(5, dtype=np.float32) + 1
    near, floor, floor_index = nearest(v, 2)
    assert all(i not in row for i, row in enumerate(near))
    assert near.tolist() == [[1, 2], [0, 2], [0, 1], [0, 1], [0, 1]]  # all others tie: the lowest rows win
    assert floor.tolist() == [7] * 5 and floor_index.tolist() == [2, 2, 1, 1, 1]
    picked, low, at = top_candidates_exact(np.array([[3.0, 1.0, 3.0, 2.0, 3.0]]), 2)
    assert picked.tolist() == [[0, 2]] and low.tolist() == [3] and at.tolist() == [2]


def _with_digest(entry):
    """Test entries share one digest; a real one is the file's (the term cache is keyed by it)."""
    text = entry.fields.model_dump_json() + entry.body
    return dataclasses.replace(entry, digest=hashlib.sha256(text.encode()).hexdigest())


def test_the_graph_is_reused_only_while_all_it_is_computed_from_is_unchanged(tmp_path, monkeypatch):
    rng = random.Random(8)
    entries = [_with_digest(e) for e in random_entries(rng, 60)]
    build_graph(entries, settings(), Caches(tmp_path))
    selected = []
    real = graph_module._select
    monkeypatch.setattr(graph_module, "_select", lambda *args: selected.append(1) or real(*args))

    evidence = entries[:]  # new evidence and a new licence: words, tasks, kind and compare_with as they were
    fields = entries[3].fields.model_copy(update={"license": "Apache-2.0", "signals": random_entries(rng, 60)[5].fields.signals})
    evidence[3] = _with_digest(dataclasses.replace(entries[3], kept=Fields.pack(fields)))
    assert evidence[3].digest != entries[3].digest
    reused = build_graph(evidence, settings(), Caches(tmp_path))
    assert selected == []
    assert reused == build_graph(evidence, settings())  # what computing it again gives

    words = evidence[:]
    words[7] = _with_digest(make_entry(evidence[7].slug, text="a quantum toaster"))
    tasks = evidence[:]
    tasks[9] = _with_digest(dataclasses.replace(evidence[9], kept=Fields.pack(
        evidence[9].fields.model_copy(update={"tasks": ["agents"]}))))
    for changed, match in ((words, MatchSettings()), (tasks, MatchSettings()), (evidence, MatchSettings(threshold=0.3))):
        build_graph(evidence, settings(), Caches(tmp_path))  # the cache holds the unchanged catalog's graph
        selected.clear()
        found = build_graph(changed, settings(match=match), Caches(tmp_path))
        assert selected == [1] and found == build_graph(changed, settings(match=match))


_VOCABULARY = "caption image agent tool plan prompt code quantum toaster video ocr scan".split()


def _edit(rng: random.Random, entries: list, kinds: bool = True) -> list:
    """The catalog after a random edit of one to three entries: their words (new, removed, common
    or rare ones), tasks, kind or curated pairs."""
    edited = entries[:]
    slugs = [e.slug for e in entries]
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(edited))
        entry = edited[i]
        what = rng.choice(["words", "words", "rare word", "tasks", "kind", "compare_with"] if kinds else ["words", "rare word"])
        if what == "words":
            text = " ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(0, 12)))
            edited[i] = make_entry(entry.slug, kind=entry.kind, tasks=entry.head.tasks, text=text,
                                   compare_with=entry.head.compare_with)
        elif what == "rare word":  # a word no other entry has: its document frequency goes 0 -> 1
            edited[i] = make_entry(entry.slug, kind=entry.kind, tasks=entry.head.tasks,
                                   text=f"{entry.body} unique{rng.randrange(10**6)}", compare_with=entry.head.compare_with)
        elif what == "tasks":
            fields = entry.fields.model_copy(update={"tasks": rng.sample(entry.head.tasks + ["agents", "ocr"], 1)})
            edited[i] = dataclasses.replace(entry, kept=Fields.pack(fields))
        elif what == "kind":
            edited[i] = dataclasses.replace(entry, kind="prompts" if entry.kind == "models" else "models")
        else:
            fields = entry.fields.model_copy(update={"compare_with": rng.sample(slugs, rng.randint(0, 2))})
            edited[i] = dataclasses.replace(entry, kept=Fields.pack(fields))
        edited[i] = _with_digest(edited[i])
    return edited


@pytest.mark.parametrize("seed", range(12))
def test_an_updated_graph_equals_one_computed_afresh(seed):
    """Random catalogs, small (all pairs) and big enough for the sketch, each edited again and
    again: the graph updated from the previous build's state is the one computed from scratch,
    and so is the state it hands on, array for array."""
    rng = random.Random(seed)
    n = rng.choice([12, 40, 150, 260])
    entries = sorted((_with_digest(e) for e in random_entries(rng, n)), key=lambda e: e.slug)
    match = MatchSettings(candidates=rng.choice([4, 8, 20, 1000]), neighbours=rng.randint(1, 4),
                          threshold=rng.choice([0.0, 0.15, 0.4]), sketch_dims=rng.choice([16, 64]))
    s = settings(match=match)
    graph, state = update_graph(entries, s, None)
    for _ in range(6):
        entries = _edit(rng, entries)
        graph, state = update_graph(entries, s, state)
        fresh_graph, fresh_state = update_graph(entries, s, None)
        assert graph == fresh_graph
        assert state == fresh_state


def test_an_update_recomputes_only_the_rows_an_edit_reaches(monkeypatch):
    """A word no other entry has changes one entry's vector (its document frequency goes from 0
    to 1, every other term's stays): only that entry's candidates and pairs are computed again."""
    rng = random.Random(4)
    entries = sorted((_with_digest(e) for e in random_entries(rng, 400)), key=lambda e: e.slug)
    s = settings(match=MatchSettings(candidates=16))
    _, state = update_graph(entries, s, None)
    chosen, scored = [], []
    real_nearest, real_similarities = graph_module.nearest, graph_module._similarities
    monkeypatch.setattr(graph_module, "nearest", lambda sketch, count, rows=None: chosen.append(
        len(sketch) if rows is None else len(rows)) or real_nearest(sketch, count, rows))
    monkeypatch.setattr(graph_module, "_similarities", lambda settings, tf, tasks, kinds, a, b: scored.append(len(a))
                        or real_similarities(settings, tf, tasks, kinds, a, b))
    edited = entries[:]
    edited[10] = _with_digest(dataclasses.replace(entries[10], body=entries[10].body + " zzyzx"))
    graph, _ = update_graph(edited, s, state)
    assert graph == update_graph(edited, s, None)[0]
    assert chosen[0] < 60  # the rows whose candidates it can change, of 400
    assert scored[0] <= 16 * 2 + 60  # the pairs of the edited entry (its candidates, and those choosing it)


def test_adding_an_entry_changes_every_idf_and_computes_afresh():
    rng = random.Random(6)
    entries = sorted((_with_digest(e) for e in random_entries(rng, 120)), key=lambda e: e.slug)
    s = settings(match=MatchSettings(candidates=8))
    _, state = update_graph(entries[:-1], s, None)
    graph, _ = update_graph(entries, s, state)
    assert graph == update_graph(entries, s, None)[0]
