"""TF-IDF text vectors in numpy (no scipy): sparse rows, a dense sketch, exact pair similarities
(the graph chooses candidates from the sketch: ``graph.nearest``)."""

from __future__ import annotations

import math
import string
import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..content.validate import Entry

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers him his how i if in into is it its itself just like many may me more most much must my no nor not
    now of off on once one only or other our ours out over own same she should so some such than that the their
    them then there these they this those through to too under until up us use used uses using very was we were
    what when where which while who whom why will with within without would you your""".split()
)
_SPACES = str.maketrans({c: " " for c in string.punctuation + "–—‘’“”…×·"})


def entry_text(entry: Entry) -> str:
    """Everything an entry says about what it does: title, summary, tags, capabilities, overview."""
    head = entry.head
    parts = [head.title, head.summary, " ".join(t.replace("-", " ") for t in head.tags)]
    for capability in entry.kept.capabilities():  # not entry.fields: that would keep them unpacked
        parts += [capability.name, capability.description, capability.unique or "", capability.vs_alternatives or ""]
    parts.append(entry.body)
    return "\n".join(parts)


def tokens(text: str) -> list[str]:
    return [w for w in text.lower().translate(_SPACES).split() if len(w) > 1 and w not in STOPWORDS and not w.isdigit()]


TermCounts = tuple[np.ndarray, np.ndarray]  # a text's term keys (uint64, ascending) and how often each occurs


def term_key(word: str) -> int:
    """A stable 64-bit key for a word: CRC-32 in the high half, Adler-32 in the low.

    Stable across processes (unlike ``hash``), so counts can be cached between builds; the
    high half alone places the word in the sketch. Two words with one key count as one."""
    data = word.encode()
    return (zlib.crc32(data) << 32) | zlib.adler32(data)


def term_counts(text: str) -> TermCounts:
    """The text's words (lower case, no stopwords, numbers or single letters), counted."""
    counts = Counter(text.lower().translate(_SPACES).split())
    words = [w for w in counts if len(w) > 1 and w not in STOPWORDS and not w.isdigit()]
    keys = np.fromiter(map(term_key, words), dtype=np.uint64, count=len(words))
    tf = np.fromiter(map(counts.__getitem__, words), dtype=np.float64, count=len(words))
    unique, where = np.unique(keys, return_inverse=True)
    return unique, np.bincount(where.ravel(), weights=tf, minlength=len(unique)) if len(unique) else tf


@dataclass
class TfIdf:
    """L2-normalised TF-IDF rows in CSR form: row i's terms are indices[indptr[i]:indptr[i+1]],
    numbered in the order of their keys (``terms``)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    terms: np.ndarray  # uint64 term keys, ascending

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    def pair_dots(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Exact cosine of rows ``left[p]`` and ``right[p]`` for every p, in blocks of left rows."""
        out = np.zeros(len(left), dtype=np.float64)
        if len(left) == 0:
            return out
        # gather from the row with fewer terms, look up in the other (densified by blocks)
        nnz = np.diff(self.indptr)
        swap = nnz[right] > nnz[left]
        left, right = np.where(swap, right, left), np.where(swap, left, right)
        order = np.argsort(left, kind="stable")
        left, right = left[order], right[order]
        vocab = max(1, len(self.terms))
        block = max(1, min(256, 4_000_000 // vocab))  # a dense block stays under 32 MB
        starts = np.searchsorted(left, np.arange(0, self.rows + block, block))
        result = np.zeros(len(left), dtype=np.float64)
        dense = np.zeros((block, vocab), dtype=np.float64)
        for b in range(len(starts) - 1):
            lo, hi = starts[b], starts[b + 1]
            if lo == hi:
                continue
            first = b * block
            rows = np.arange(first, min(first + block, self.rows))
            s, e = self.indptr[rows[0]], self.indptr[rows[-1] + 1]
            local = np.repeat(np.arange(len(rows)), np.diff(self.indptr[rows[0] : rows[-1] + 2]))
            dense[local, self.indices[s:e]] = self.data[s:e]
            q = left[lo:hi] - first
            other = right[lo:hi]
            lengths = self.indptr[other + 1] - self.indptr[other]
            total = int(lengths.sum())
            if total == 0:
                dense[local, self.indices[s:e]] = 0.0
                continue
            offsets = np.zeros(len(other), dtype=np.int64)
            np.cumsum(lengths[:-1], out=offsets[1:])
            positions = np.repeat(self.indptr[other] - offsets, lengths) + np.arange(total)
            products = dense[np.repeat(q, lengths), self.indices[positions]] * self.data[positions]
            sums = np.add.reduceat(products, offsets[lengths > 0])
            result[lo:hi][lengths > 0] = sums
            dense[local, self.indices[s:e]] = 0.0
        out[order] = result
        return out

    def sketch(self, dims: int) -> np.ndarray:
        """Signed feature hashing of the rows into ``dims`` columns: dot products are kept on average."""
        hashes = (self.terms >> np.uint64(32)).astype(np.int64)  # the words' CRC-32
        column = hashes % dims
        sign = np.where((hashes // dims) % 2 == 0, 1.0, -1.0)
        row = np.repeat(np.arange(self.rows), np.diff(self.indptr))
        flat = np.bincount(row * dims + column[self.indices], weights=self.data * sign[self.indices], minlength=self.rows * dims)
        out = flat.reshape(self.rows, dims).astype(np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out


def tfidf(texts: list[str]) -> TfIdf:
    return tfidf_from_counts([term_counts(text) for text in texts])


def tfidf_from_counts(rows: list[TermCounts]) -> TfIdf:
    """Sublinear term frequency (1 + ln tf) × smooth idf (ln((1 + N) / (1 + df)) + 1), L2-normalised."""
    n = len(rows)
    lengths = np.array([len(keys) for keys, _ in rows], dtype=np.int64)
    keys = np.concatenate([keys for keys, _ in rows]) if rows else np.zeros(0, dtype=np.uint64)
    tf = np.concatenate([counts for _, counts in rows]) if rows else np.zeros(0)
    row = np.repeat(np.arange(n, dtype=np.int32), lengths)
    terms, indices = np.unique(keys, return_inverse=True)
    indices = indices.ravel().astype(np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    df = np.bincount(indices, minlength=len(terms)).astype(np.float64)
    idf = np.log((1 + n) / (1 + df)) + 1.0
    data = (1.0 + np.log(tf)) * idf[indices]
    norms = np.sqrt(np.bincount(row, weights=data * data, minlength=n))
    data = data / np.where(norms > 0, norms, 1.0)[row] if len(data) else data
    return TfIdf(indptr, indices, data, terms)


def idf_task_matrix(task_lists: list[list[str]], names: list[str]) -> np.ndarray:
    """One row per entry: its tasks weighted by smooth idf, L2-normalised."""
    column = {t: i for i, t in enumerate(names)}
    n = len(task_lists)
    matrix = np.zeros((n, len(names)), dtype=np.float64)
    for i, tasks in enumerate(task_lists):
        for t in set(tasks):
            matrix[i, column[t]] = 1.0
    df = matrix.sum(axis=0)
    idf = np.log((1 + n) / (1 + df)) + 1.0
    matrix *= idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix


def cosine_note(value: float) -> str:
    return f"{value:.2f}" if not math.isnan(value) else "n/a"
