"""The match graph: which entries are compared with which, and each entry's place in it.

Similarity of two entries = task_weight × cosine of their idf-weighted task sets
+ (1 − task_weight) × cosine of their TF-IDF text vectors, times ``cross_kind`` when they
are of different kinds. Each entry keeps its k most similar entries at or above the
threshold; editor-curated ``compare_with`` pairs always count. Small catalogs compare every
pair exactly; big ones let a sketch (signed feature hashing of the TF-IDF rows, beside the
task vectors, rounded to integers) propose each entry's ``candidates`` nearest, in blocked
numpy products, and rescore the candidates exactly.

Updating instead of recomputing. A build hands the next one the graph's state
(``GraphState``): per entry a digest of its *row* (its TF-IDF vector, its task vector, its
kind), each entry's candidates with the weakest one's sketch product, and every candidate
pair's similarities. The next build computes every row again (vectorised, cheap) and
compares digests; an entry whose row is unchanged has, bit for bit, the similarities it had
to every other unchanged entry. The exact rule for what an edit reaches:

- An entry's text vector changes when its own words change, and when the document frequency
  of a term it contains changes: that happens for exactly the terms an edited entry gained
  or lost (not those whose count only changed), so every entry containing such a term is
  re-vectorised; a word no other entry has touches no other row. The same holds for tasks
  (a task's frequency changes when an entry gains or loses it) and for a change of kind.
- Adding or removing an entry changes N, hence every IDF and every vector: the graph is
  computed afresh. So does any change of the settings.
- An entry's candidates are chosen again when its row changed, when one of its candidates'
  rows changed, or when a changed row now beats its weakest candidate; all others stand.
  Sketch products are integers below 2**24, exact in float32 whatever order a product adds
  in, and ties go to the lower row number, so the candidates of a part of the rows are those
  a full computation chooses: no tolerance anywhere.
- A candidate pair's exact similarities are computed again when either side's row changed;
  the others are taken from the state. The k strongest per entry, the curated pairs and the
  strengths are then selected from all candidate pairs (vectorised, linear in their number).

The result equals computing the graph from scratch, state included (a randomized test).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..config import Settings
from ..content.validate import Entry
from ..memo import Caches
from .model import Pair
from .terms import entry_term_counts
from .text import TermCounts, TfIdf, idf_task_matrix, tfidf_from_counts


@dataclass
class MatchGraph:
    pairs: list[Pair]
    strength: dict[str, float]  # weighted degree: the sum of the entry's edge weights
    scores: dict[str, float]  # Match Graph sub-score, 0–100 before rounding
    exact: bool  # every pair compared exactly (no sketch)
    candidate_pairs: int = 0
    stats: dict[str, int] = field(default_factory=dict)


def curated_pairs(entries: list[Entry]) -> list[Pair]:
    """One pair per unordered ``compare_with`` link, in a stable order."""
    known = {e.slug for e in entries}
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        for other in entry.head.compare_with:
            if other in known and other != entry.slug:
                seen.add(tuple(sorted((entry.slug, other))))  # type: ignore[arg-type]
    return [Pair(a, b, weight=1.0, curated=True, reasons=("paired by an editor",)) for a, b in sorted(seen)]


def _similarities(settings: Settings, tf, tasks: np.ndarray, kinds: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text = tf.pair_dots(a, b)
    task = np.zeros(len(a))
    for column in range(tasks.shape[1]):  # added in one order for every pair, wherever it sits in the arrays
        task += tasks[a, column] * tasks[b, column]
    w = settings.match.task_weight
    factor = np.where(kinds[a] == kinds[b], 1.0, settings.match.cross_kind)
    total = np.round(factor * (w * task + (1 - w) * text), 6)
    return total, np.round(task, 6), np.round(text, 6)


def weighted_degree(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per node, the sum of the weights of its edges (rounded as the pages show it)."""
    strength = np.bincount(a, weights=w, minlength=n) + np.bincount(b, weights=w, minlength=n)
    return np.round(strength, 4)


def strength_score(strength: np.ndarray, full_strength: float) -> np.ndarray:
    """0 without comparisons, 100 at ``full_strength`` or more, in proportion between.

    A local measure on a fixed scale (unlike PageRank, or a scale set by the most connected
    entry): an edit changes the scores of the entries whose comparisons it changes, and no
    others, so that a small edit re-renders a small part of the site."""
    return np.clip(100.0 * strength / full_strength, 0.0, 100.0)


class GraphState(NamedTuple):
    """What the next build needs to update the graph rather than compute it again: the inputs
    it was computed from, per entry, and its intermediate results (arrays as little-endian bytes)."""

    settings: str  # fingerprint of the settings
    slugs: list[str]
    rows: list[bytes]  # per entry: a digest of its text vector, task vector and kind
    curated: str  # fingerprint of every entry's compare_with
    near: bytes  # int64, entries × candidates: each entry's candidates (big catalogs), else empty
    floor: bytes  # int64 per entry: its weakest candidate's sketch similarity (exact, an integer)
    floor_index: bytes  # int64 per entry: that candidate
    keys: bytes  # int64 candidate pairs a × n + b (a < b), ascending
    similarity: bytes  # float64 per candidate pair: total, task and text similarity
    task_similarity: bytes
    text_similarity: bytes
    graph: MatchGraph


def build_graph(entries: list[Entry], settings: Settings, caches: Caches | None = None) -> MatchGraph:
    """The graph of ``entries``. With ``caches``, the term counts are kept between builds, and
    the last graph with what it was computed from: a build whose entries changed no words,
    tasks, kind or ``compare_with`` reuses it, and one that did updates it (``update_graph``)."""
    entries = sorted(entries, key=lambda e: e.slug)
    counts = entry_term_counts(entries, caches)
    if caches is None:
        return _compute(entries, counts, settings, None)[0]
    memo = caches.memo("graph", GraphState)
    stored = memo.get_any()
    graph, state = _compute(entries, counts, settings, stored[1] if stored is not None else None)
    memo.put(state)
    return graph


def update_graph(entries: list[Entry], settings: Settings, previous: GraphState | None,
                 counts: list[TermCounts] | None = None) -> tuple[MatchGraph, GraphState]:
    """The graph of ``entries`` (sorted by slug), computed again only where ``previous`` (the
    state of an earlier graph) cannot give it: equal to computing it from scratch. ``counts``:
    the entries' term counts, when the caller has them (``build_graph`` has them from a cache)."""
    return _compute(entries, counts if counts is not None else entry_term_counts(entries), settings, previous)


def _fingerprint_settings(settings: Settings) -> str:
    return hashlib.blake2b(settings.model_dump_json().encode(), digest_size=16).hexdigest()


def _row_digests(tf: TfIdf, tasks: np.ndarray, kinds: list[str]) -> list[bytes]:
    """Per entry, a digest of all its similarities are computed from: its TF-IDF row (terms and
    weights), its task vector and its kind. Equal digests, equal similarities to any other row."""
    keys = tf.terms[tf.indices].astype("<u8")
    data = tf.data.astype("<f8")
    bounds = tf.indptr.tolist()
    task_rows = tasks.astype("<f8")
    out = []
    for i, kind in enumerate(kinds):
        lo, hi = bounds[i], bounds[i + 1]
        hasher = hashlib.blake2b(kind.encode(), digest_size=16)
        hasher.update(keys[lo:hi].tobytes())
        hasher.update(data[lo:hi].tobytes())
        hasher.update(task_rows[i].tobytes())
        out.append(hasher.digest())
    return out


def _curated_fingerprint(entries: list[Entry]) -> str:
    return hashlib.blake2b(repr([e.head.compare_with for e in entries]).encode(), digest_size=16).hexdigest()


def _array(data: bytes, dtype: str) -> np.ndarray:
    return np.frombuffer(data, dtype=dtype).astype(dtype[1:] if dtype[0] == "<" else dtype)


def _previous(state: GraphState | None, settings_key: str, slugs: list[str], n: int, count: int):
    """The parts of ``state`` that an update can use, or None when it must compute afresh."""
    if state is None or state.settings != settings_key or state.slugs != slugs or len(state.rows) != n:
        return None
    try:
        near = _array(state.near, "<i8")
        floor, floor_index = _array(state.floor, "<i8"), _array(state.floor_index, "<i8")
        keys = _array(state.keys, "<i8")
        sims = [_array(x, "<f8") for x in (state.similarity, state.task_similarity, state.text_similarity)]
    except ValueError:
        return None
    if len(near) not in (0, n * count) or len(floor) != n or len(floor_index) != n or any(len(x) != len(keys) for x in sims):
        return None
    if len(keys) and (keys.min() < 0 or keys.max() >= n * n or np.any(np.diff(keys) <= 0)):
        return None
    return near.reshape(n, count) if len(near) else None, floor, floor_index, keys, sims


def _compute(entries: list[Entry], counts: list[TermCounts], settings: Settings,
             state: GraphState | None) -> tuple[MatchGraph, GraphState]:
    """The graph and its state. Given the ``state`` of an earlier graph of the same entries and
    settings, only what a changed row can affect is computed again (see the module's docstring)."""
    n = len(entries)
    slugs = [e.slug for e in entries]
    match = settings.match
    settings_key = _fingerprint_settings(settings)
    task_names = sorted(set(settings.tasks) | {t for e in entries for t in e.head.tasks})
    tasks = idf_task_matrix([e.head.tasks for e in entries], task_names)
    tf = tfidf_from_counts(counts)
    kind_list = [e.kind for e in entries]
    kind_names = sorted(set(kind_list))
    kinds = np.array([kind_names.index(k) for k in kind_list], dtype=np.int64)
    rows = _row_digests(tf, tasks, kind_list)
    curated_key = _curated_fingerprint(entries)
    count = min(match.candidates, max(n - 1, 0))
    exact = n - 1 <= match.candidates
    previous = _previous(state, settings_key, slugs, n, count)
    if previous is not None and state.rows == rows and state.curated == curated_key:
        return state.graph, state  # nothing the graph reads has changed
    changed = np.array([i for i in range(n) if previous is None or rows[i] != state.rows[i]], dtype=np.int64)

    # candidate pairs: all pairs in a small catalog, else each entry's nearest by the sketch
    if n < 2:
        near, floor, floor_index = np.zeros((n, 0), np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
        keys = np.zeros(0, np.int64)
    elif exact:
        near, floor, floor_index = np.zeros((n, 0), np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
        a, b = np.triu_indices(n, k=1)
        keys = a.astype(np.int64) * n + b
    else:
        sketch = sketch_vectors(tf, tasks, match.task_weight, match.sketch_dims)
        if previous is None or previous[0] is None:
            near, floor, floor_index = nearest(sketch, count)
        else:
            near, floor, floor_index = update_nearest(sketch, count, previous[0].copy(), previous[1].copy(),
                                                      previous[2].copy(), changed)
        src = np.repeat(np.arange(n, dtype=np.int64), count)
        dst = near.ravel()
        keys = np.unique(np.minimum(src, dst) * n + np.maximum(src, dst))

    # the curated pairs are scored beside the candidates (and kept like them), but only the
    # candidates compete for an entry's k strongest
    index = {slug: i for i, slug in enumerate(slugs)}
    curated = np.array([index[p.a] * n + index[p.b] for p in curated_pairs(entries)], dtype=np.int64)
    candidate_count = len(keys)
    candidates, keys = keys, np.union1d(keys, curated).astype(np.int64)
    candidate = np.isin(keys, candidates)

    # exact similarities: kept for the pairs of unchanged rows, computed for the others
    a, b = keys // n, keys % n
    sim, task_sim, text_sim = np.zeros(len(keys)), np.zeros(len(keys)), np.zeros(len(keys))
    todo = np.ones(len(keys), dtype=bool)
    if previous is not None and len(previous[3]):
        old_keys, (old_sim, old_task, old_text) = previous[3], previous[4]
        dirty = np.zeros(n, dtype=bool)
        dirty[changed] = True
        where = np.minimum(np.searchsorted(old_keys, keys), len(old_keys) - 1)
        reuse = (old_keys[where] == keys) & ~dirty[a] & ~dirty[b]
        sim[reuse], task_sim[reuse], text_sim[reuse] = old_sim[where[reuse]], old_task[where[reuse]], old_text[where[reuse]]
        todo = ~reuse
    sim[todo], task_sim[todo], text_sim[todo] = _similarities(settings, tf, tasks, kinds, a[todo], b[todo])

    graph = _select(entries, settings, lambda x, y: _similarities(settings, tf, tasks, kinds, x, y), a, b, sim, task_sim,
                    text_sim, exact, candidate)
    graph.candidate_pairs = candidate_count
    new_state = GraphState(settings_key, slugs, rows, curated_key, near.astype("<i8").tobytes(),
                           floor.astype("<i8").tobytes(), floor_index.astype("<i8").tobytes(), keys.astype("<i8").tobytes(),
                           sim.astype("<f8").tobytes(), task_sim.astype("<f8").tobytes(), text_sim.astype("<f8").tobytes(), graph)
    return graph, new_state


def sketch_vectors(tf: TfIdf, tasks: np.ndarray, task_weight: float, dims: int) -> np.ndarray:
    """Each entry's sketch (its hashed TF-IDF row beside its task vector), scaled and rounded to
    integers small enough that every dot product of two sketches is exact in float32, whatever
    order a matrix product adds in: candidates chosen from a part of the rows are then the ones
    chosen from all of them, so that an update equals a full computation, bit for bit."""
    vectors = np.hstack([np.sqrt(1 - task_weight) * tf.sketch(dims), np.sqrt(task_weight) * tasks])
    scale = math.floor(math.sqrt((2**24 - 1) / max(1, vectors.shape[1])))  # |each component| <= 1
    return np.rint(vectors * scale).astype(np.float32)


def nearest(sketch: np.ndarray, count: int, rows: np.ndarray | None = None, block: int = 256):
    """For ``rows`` (default: all), the ``count`` other rows with the largest sketch products,
    ties going to the lower row number; and each row's weakest chosen product and row."""
    n = len(sketch)
    rows = np.arange(n) if rows is None else rows
    near = np.zeros((len(rows), count), dtype=np.int64)
    floor = np.zeros(len(rows), dtype=np.int64)
    floor_index = np.zeros(len(rows), dtype=np.int64)
    for lo in range(0, len(rows), block):
        part = rows[lo : lo + block]
        sims = sketch[part] @ sketch.T
        sims[np.arange(len(part)), part] = -np.inf
        near[lo : lo + len(part)], floor[lo : lo + len(part)], floor_index[lo : lo + len(part)] = top_candidates_exact(sims, count)
    return near, floor, floor_index


def update_nearest(sketch: np.ndarray, count: int, near: np.ndarray, floor: np.ndarray, floor_index: np.ndarray,
                   changed: np.ndarray):
    """``nearest`` after the sketches of ``changed`` rows changed, from the previous result: a row
    is chosen again when it changed itself, when one of its candidates changed, or when a
    changed row now beats its weakest candidate; every other row's candidates stand."""
    if len(changed) == 0:
        return near, floor, floor_index
    n = len(sketch)
    dirty = np.zeros(n, dtype=bool)
    dirty[changed] = True
    redo = dirty | dirty[near].any(axis=1)
    sims = sketch @ sketch[changed].T  # exact: integers
    beats = (sims > floor[:, None]) | ((sims == floor[:, None]) & (changed[None, :] < floor_index[:, None]))
    beats[changed, np.arange(len(changed))] = False  # a row is never its own candidate
    redo |= beats.any(axis=1)
    rows = np.flatnonzero(redo)
    near[rows], floor[rows], floor_index[rows] = nearest(sketch, count, rows)
    return near, floor, floor_index


def top_candidates_exact(sims: np.ndarray, count: int):
    """Per row of ``sims``, the ``count`` columns with the largest values, ties going to the
    lower column (a choice that depends on the values alone); the weakest chosen value and column."""
    m = len(sims)
    if count == 0:
        return np.zeros((m, 0), np.int64), np.zeros(m, np.int64), np.zeros(m, np.int64)
    picked = np.sort(np.argpartition(sims, -count, axis=1)[:, -count:], axis=1)
    values = np.take_along_axis(sims, picked, axis=1)
    floor = values.min(axis=1)
    inside = (values == floor[:, None]).sum(axis=1)
    outside = (sims == floor[:, None]).sum(axis=1) - inside
    for r in np.flatnonzero(outside > 0):  # tied at the boundary with columns not picked: lowest columns win
        row = sims[r]
        above = np.flatnonzero(row > floor[r])
        ties = np.flatnonzero(row == floor[r])[: count - len(above)]
        picked[r] = np.sort(np.concatenate([above, ties]))
    values = np.take_along_axis(sims, picked, axis=1)
    floor = values.min(axis=1)
    floor_index = np.where(values == floor[:, None], picked, -1).max(axis=1) if m else np.zeros(0, np.int64)
    return picked, floor.astype(np.int64), floor_index.astype(np.int64)


def _select(entries: list[Entry], settings: Settings, similarities, a: np.ndarray, b: np.ndarray, sim: np.ndarray,
            task_sim: np.ndarray, text_sim: np.ndarray, exact: bool, candidate: np.ndarray) -> MatchGraph:
    """The graph from the scored pairs (``a`` < ``b``, ascending): each entry's k strongest
    ``candidate`` pairs at or above the threshold, and the curated pairs."""
    n = len(entries)
    slugs = [e.slug for e in entries]
    index = {s: i for i, s in enumerate(slugs)}
    match = settings.match
    # each entry's strongest k neighbours at or above the threshold
    keep = np.zeros(0, dtype=np.int64)
    if match.neighbours > 0 and len(a):
        src = np.concatenate([a, b])
        dst = np.concatenate([b, a])
        both = np.concatenate([sim, sim])
        pair_id = np.concatenate([np.arange(len(a)), np.arange(len(a))])
        ok = (both >= match.threshold) & np.concatenate([candidate, candidate])
        src, dst, both, pair_id = src[ok], dst[ok], both[ok], pair_id[ok]
        order = np.lexsort((dst, -both, src))
        src, pair_id = src[order], pair_id[order]
        first = np.searchsorted(src, src, side="left")
        place = np.arange(len(src)) - first
        keep = np.unique(pair_id[place < match.neighbours])

    chosen: dict[tuple[int, int], bool] = dict.fromkeys(zip(a[keep].tolist(), b[keep].tolist()), False)
    for pair in curated_pairs(entries):
        chosen[(index[pair.a], index[pair.b])] = True

    keys = sorted(chosen)
    ea = np.array([k[0] for k in keys], dtype=np.int64)
    eb = np.array([k[1] for k in keys], dtype=np.int64)
    # reuse the candidates' similarities; compute only the curated pairs that were not candidates
    esim, etask, etext = np.zeros(len(keys)), np.zeros(len(keys)), np.zeros(len(keys))
    known = a * n + b
    wanted = ea * n + eb
    where = np.searchsorted(known, wanted) if len(known) else np.zeros(len(wanted), dtype=np.int64)
    found = (where < len(known)) & (known[np.minimum(where, len(known) - 1)] == wanted) if len(known) else np.zeros(len(wanted), dtype=bool)
    esim[found], etask[found], etext[found] = sim[where[found]], task_sim[where[found]], text_sim[where[found]]
    rest = ~found
    esim[rest], etask[rest], etext[rest] = similarities(ea[rest], eb[rest])
    labels = {name: s.label for name, s in settings.tasks.items()}
    task_sets = [frozenset(e.head.tasks) for e in entries]
    shared_text: dict[frozenset[str], str] = {}  # few distinct sets of shared tasks, each in many pairs
    pairs: list[Pair] = []
    # plain floats: indexing numpy arrays one element at a time is the slow part of this loop
    for (i, j), text_sim, similarity in zip(keys, etext.tolist(), esim.tolist()):
        curated = chosen[(i, j)]
        shared = task_sets[i] & task_sets[j]
        reasons = []
        if curated:
            reasons.append("paired by an editor")
        if shared:
            text = shared_text.get(shared)
            if text is None:
                text = shared_text[shared] = "shared tasks: " + ", ".join(labels.get(t, t) for t in sorted(shared))
            reasons.append(text)
        if text_sim >= match.threshold:
            reasons.append(f"similar descriptions ({text_sim:.2f})")
        pairs.append(Pair(slugs[i], slugs[j], weight=round(similarity, 4), curated=curated, reasons=tuple(reasons)))

    rank_weight = np.array([max(p.weight, match.threshold) if p.curated else p.weight for p in pairs], dtype=np.float64)
    rank_weight[rank_weight <= 0] = 1.0 if len(rank_weight) else 0
    strength = weighted_degree(n, ea, eb, rank_weight)
    scores = strength_score(strength, match.full_strength)
    curated_count = sum(p.curated for p in pairs)
    return MatchGraph(
        pairs=pairs,
        strength={s: float(strength[i]) for i, s in enumerate(slugs)},
        scores={s: float(scores[i]) for i, s in enumerate(slugs)},
        exact=exact,
        candidate_pairs=int(len(a)),
        stats={"entries": n, "pairs": len(pairs), "curated": curated_count, "found": len(pairs) - curated_count,
               "both": sum(1 for p in pairs if p.curated and p.weight >= match.threshold),
               "isolated": int(n - np.count_nonzero(np.bincount(np.concatenate([ea, eb]), minlength=n))) if n else 0},
    )


def match_pairs(entries: list[Entry], settings: Settings) -> list[Pair]:
    return build_graph(entries, settings).pairs
