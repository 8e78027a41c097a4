"""The match graph: which entries are compared with which, and each entry's place in it.

Similarity of two entries = task_weight × cosine of their idf-weighted task sets
+ (1 − task_weight) × cosine of their TF-IDF text vectors, times ``cross_kind`` when they
are of different kinds. Each entry keeps its k most
similar entries at or above the threshold; editor-curated ``compare_with`` pairs always
count. Small catalogs compare every pair exactly; big ones let a dense sketch (signed
feature hashing of the TF-IDF rows, plus the task vectors) propose candidates in blocked
numpy products, and rescore the candidates exactly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import cachefile
from ..config import Settings
from ..content.validate import Entry
from .model import Pair
from .terms import entry_term_counts
from .text import TermCounts, idf_task_matrix, tfidf_from_counts, top_candidates


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
    task = np.einsum("ij,ij->i", tasks[a], tasks[b]) if len(a) else np.zeros(0)
    w = settings.match.task_weight
    factor = np.where(kinds[a] == kinds[b], 1.0, settings.match.cross_kind)
    total = np.round(factor * (w * task + (1 - w) * text), 6)
    return total, np.round(task, 6), np.round(text, 6)


def _candidate_pairs(settings: Settings, tf, tasks: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    n = tf.rows
    match = settings.match
    if n - 1 <= match.candidates:
        a, b = np.triu_indices(n, k=1)
        return a.astype(np.int64), b.astype(np.int64), True
    w = match.task_weight
    vectors = np.hstack([np.sqrt(1 - w) * tf.sketch(match.sketch_dims), np.sqrt(w) * tasks.astype(np.float32)]).astype(np.float32)
    near = top_candidates(vectors, match.candidates)
    src = np.repeat(np.arange(n), near.shape[1])
    dst = near.ravel()
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    keys = np.unique(lo * n + hi)
    return keys // n, keys % n, False


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


GRAPH_FORMAT = 3


def build_graph(entries: list[Entry], settings: Settings, term_cache: Path | None = None,
                graph_cache: Path | None = None) -> MatchGraph:
    """The graph of ``entries``. ``term_cache`` keeps their term counts between builds, and
    ``graph_cache`` the last graph with a fingerprint of all it was computed from: an edit that
    changes no entry's words, tasks, kind or ``compare_with`` (new evidence, a new licence)
    reuses it."""
    entries = sorted(entries, key=lambda e: e.slug)
    counts = entry_term_counts(entries, term_cache)
    if graph_cache is None:
        return _compute_graph(entries, counts, settings)
    key = graph_inputs(entries, counts, settings)
    stored = cachefile.load(graph_cache, cachefile.stamp(GRAPH_FORMAT), tuple[str, cachefile.Raw])
    if stored is not None and stored[0] == key:
        try:
            return cachefile.decode(stored[1], MatchGraph)  # left encoded until the key matched
        except ValueError:  # of another shape: computed again
            pass
    graph = _compute_graph(entries, counts, settings)
    cachefile.save(graph_cache, cachefile.stamp(GRAPH_FORMAT), (key, cachefile.Raw(cachefile.encode(graph))))
    return graph


def graph_inputs(entries: list[Entry], counts: list[TermCounts], settings: Settings) -> str:
    """A fingerprint of everything the graph of ``entries`` (sorted by slug) is computed from."""
    hasher = hashlib.blake2b(settings.model_dump_json().encode(), digest_size=16)
    for entry, (keys, values) in zip(entries, counts):
        head = entry.head
        hasher.update(repr((entry.slug, entry.kind, head.tasks, head.compare_with, len(keys))).encode())
        hasher.update(keys.tobytes())
        hasher.update(values.tobytes())
    return hasher.hexdigest()


def _compute_graph(entries: list[Entry], counts: list[TermCounts], settings: Settings) -> MatchGraph:
    n = len(entries)
    slugs = [e.slug for e in entries]
    index = {s: i for i, s in enumerate(slugs)}
    match = settings.match
    task_names = sorted(set(settings.tasks) | {t for e in entries for t in e.head.tasks})
    tasks = idf_task_matrix([e.head.tasks for e in entries], task_names)
    tf = tfidf_from_counts(counts)
    kind_names = sorted({e.kind for e in entries})
    kinds = np.array([kind_names.index(e.kind) for e in entries], dtype=np.int64)

    a, b, exact = _candidate_pairs(settings, tf, tasks) if n > 1 else (np.zeros(0, np.int64), np.zeros(0, np.int64), True)
    sim, task_sim, text_sim = _similarities(settings, tf, tasks, kinds, a, b)

    # each entry's strongest k neighbours at or above the threshold
    keep = np.zeros(0, dtype=np.int64)
    if match.neighbours > 0 and len(a):
        src = np.concatenate([a, b])
        dst = np.concatenate([b, a])
        both = np.concatenate([sim, sim])
        pair_id = np.concatenate([np.arange(len(a)), np.arange(len(a))])
        ok = both >= match.threshold
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
    esim[rest], etask[rest], etext[rest] = _similarities(settings, tf, tasks, kinds, ea[rest], eb[rest])
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
