"""The verdict sentence of a comparison, generated from the numbers in its table."""

from __future__ import annotations

from .model import SUBSCORE_LABELS, SUBSCORES, Scores


def verdict(first_title: str, first: Scores, second_title: str, second: Scores, tie_margin: float) -> str:
    if first.rank is None or second.rank is None:
        missing = [t for t, s in ((first_title, first), (second_title, second)) if s.rank is None]
        return (
            f"There is not enough evidence yet to rank {' or '.join(missing)}, so this page makes no "
            "overall call: compare the capabilities below."
        )
    gap = first.rank - second.rank
    if abs(gap) <= tie_margin:
        head = f"{first_title} and {second_title} are tied overall ({first.rank:.0f} vs {second.rank:.0f})."
    else:
        head = f"{first_title} scores higher overall, {first.rank:.0f} vs {second.rank:.0f}."
    leads: list[str] = []
    for name in SUBSCORES:
        a, b = first.get(name), second.get(name)
        if a is None or b is None:
            continue
        if a - b > tie_margin:
            leads.append(f"{first_title} leads on {SUBSCORE_LABELS[name].lower()}")
        elif b - a > tie_margin:
            leads.append(f"{second_title} leads on {SUBSCORE_LABELS[name].lower()}")
    return head + (" " + "; ".join(leads) + "." if leads else "")
