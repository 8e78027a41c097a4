"""The arithmetic a breakdown prints: how a sub-score comes from its signals, and the
UnfragileRank from the sub-scores. Derived from the numbers when a page shows them, so the
numbers are all a page's fingerprint needs to cover."""

from __future__ import annotations

from typing import Any, Sequence


def _num(value: float) -> str:
    """A score in a formula: up to two decimals."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _w(value: float) -> str:
    return f"{value:g}"


def mean_formula(rows: Sequence[Any], score: float | None) -> str:
    """How ``score`` is the weighted mean of the counted rows (signals.SignalRow)."""
    counted = [r for r in rows if r.counted]
    if score is None or not counted:
        return "no signal to score: insufficient data"
    if len(counted) == 1:
        return f"one signal: {counted[0].score_text}, shown as {score:.0f}"
    top = " + ".join(f"{_w(r.weight)} × {r.score_text}" for r in counted)
    bottom = " + ".join(_w(r.weight) for r in counted)
    exact = sum(r.weight * r.score for r in counted) / sum(r.weight for r in counted)
    return f"({top}) ÷ ({bottom}) = {_num(exact)}, shown as {score:.0f}"


def rank_formula(parts: list[tuple[str, float, float]], rank: float | None, basis: str, short: bool, minimum: int) -> str:
    """How ``rank`` is the weighted mean of the sub-scores in ``parts`` (name, weight, score);
    ``basis``: how many sub-scores it rests on, in words (model.basis_text); ``short``: fewer
    than the ``minimum`` a rank needs."""
    if rank is None:
        if short:
            return f"rests on {basis}; UnfragileRank needs at least {minimum}: insufficient data"
        return "the sub-scores that exist all have weight 0: insufficient data"
    top = " + ".join(f"{_w(w)} × {s:.0f}" for _, w, s in parts)
    bottom = " + ".join(_w(w) for _, w, _ in parts)
    exact = sum(w * s for _, w, s in parts) / sum(w for _, w, _ in parts)
    return f"({top}) ÷ ({bottom}) = {_num(exact)}, shown as {rank:.0f}"
