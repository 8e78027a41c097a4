"""The verdict sentence of a comparison, generated from the numbers in its table.

Every comparison is made on the whole numbers the table shows (``f"{x:.0f}"``), so no
sentence can claim a lead that the table does not show. Claims are built first as data
(``claims``), then put into words (``verdict``); each claim quotes the numbers it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import SUBSCORE_LABELS, SUBSCORES, Scores, basis_text


def shown(value: float | None) -> int | None:
    """What the page prints for a score: the ``score`` filter formats with ``f"{x:.0f}"``."""
    return None if value is None else int(f"{value:.0f}")


@dataclass(frozen=True)
class Claim:
    """One thing the verdict says.

    kind: ``lead`` (``subject`` is ahead by more than the margin), ``close`` (different numbers
    within the margin), ``tie`` (same number), ``missing`` (``subject`` has no number though the
    sub-score applies to it; None: neither has one), ``inapplicable`` (the sub-score does not
    apply to ``subject``'s kind; None: to neither side's), ``basis`` (``subject``'s rank rests on
    ``first`` of the ``second`` sub-scores that apply to it, fewer than all four).
    """

    kind: str
    measure: str  # "rank" or a sub-score name
    subject: str | None
    first: int | None  # the first side's shown number (for ``basis``: how many sub-scores)
    second: int | None  # (for ``basis``: how many apply)


def _sides_without(kind: str, measure: str, titles: tuple[str, str], flags: tuple[bool, bool]) -> list[Claim]:
    """One claim for the sides that ``flags`` mark: both at once (subject None), or one."""
    if all(flags):
        return [Claim(kind, measure, None, None, None)]
    return [Claim(kind, measure, title, None, None) for title, flag in zip(titles, flags) if flag]


def claims(first_title: str, first: Scores, second_title: str, second: Scores, tie_margin: float) -> list[Claim]:
    out: list[Claim] = []
    titles = (first_title, second_title)
    for measure in ("rank",) + SUBSCORES:
        a, b = shown(first.get(measure)), shown(second.get(measure))
        if measure != "rank" and not (first.applies_to(measure) and second.applies_to(measure)):
            out += _sides_without("inapplicable", measure, titles, (not first.applies_to(measure), not second.applies_to(measure)))
            out += _sides_without("missing", measure, titles, (first.applies_to(measure) and a is None,
                                                                second.applies_to(measure) and b is None))
        elif a is None or b is None:
            subject = None if a is None and b is None else (first_title if a is None else second_title)
            out.append(Claim("missing", measure, subject, a, b))
        elif a == b:
            out.append(Claim("tie", measure, None, a, b))
        elif abs(a - b) <= tie_margin:
            out.append(Claim("close", measure, None, a, b))
        else:
            out.append(Claim("lead", measure, first_title if a > b else second_title, a, b))
    if first.rank is not None and second.rank is not None:
        for title, scores in ((first_title, first), (second_title, second)):
            if scores.basis < len(SUBSCORES):
                out.append(Claim("basis", "rank", title, scores.basis, len(scores.applies)))
    return out


def _label(measure: str) -> str:
    return SUBSCORE_LABELS[measure].lower()


def _points(margin: float) -> str:
    return f"{margin:g} point" + ("" if margin == 1 else "s")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _do_not_apply(measures: list[str], scopes: list[str]) -> str:
    verb = "it does" if len(measures) == 1 else "they do"
    return f"{_join([_label(m) for m in measures])}: {verb} not apply to {' or '.join(dict.fromkeys(scopes))}"


def verdict(first_title: str, first: Scores, second_title: str, second: Scores, tie_margin: float) -> str:
    """Sides in page order: ``first`` is the left column, ``second`` the right one."""
    found = claims(first_title, first, second_title, second, tie_margin)
    scope = {first_title: first.scope, second_title: second.scope}
    sentences: list[str] = []
    overall = found[0]
    if overall.kind == "missing":
        who = f"{first_title} or {second_title}" if overall.subject is None else overall.subject
        sentences.append(f"There is not enough evidence to rank {who} yet, so this page makes no overall call.")
    elif overall.kind == "tie":
        sentences.append(f"{first_title} and {second_title} are tied overall at {overall.first}/100.")
    elif overall.kind == "close":
        sentences.append(
            f"{first_title} and {second_title} are within {_points(tie_margin)} of each other overall "
            f"({overall.first} vs {overall.second}), too close to call."
        )
    else:
        high, low = max(overall.first, overall.second), min(overall.first, overall.second)  # type: ignore[type-var]
        sentences.append(f"{overall.subject} ranks higher overall: {high}/100 vs {low}/100.")

    subs = [c for c in found[1:] if c.kind != "basis"]
    for title in (first_title, second_title):
        leads = [c for c in subs if c.kind == "lead" and c.subject == title]
        if leads:
            parts = [f"{_label(c.measure)} ({c.first} vs {c.second})" if title == first_title else f"{_label(c.measure)} ({c.second} vs {c.first})" for c in leads]
            sentences.append(f"{title} leads on {_join(parts)}.")
    ties = [c for c in subs if c.kind == "tie"]
    if ties:
        sentences.append(f"They are tied on {_join([f'{_label(c.measure)} ({c.first})' for c in ties])}.")
    close = [c for c in subs if c.kind == "close"]
    if close:
        parts = [f"{_label(c.measure)} ({c.first} vs {c.second})" for c in close]
        sentences.append(f"They are within {_points(tie_margin)} on {_join(parts)}.")
    for title in (first_title, second_title):
        missing = [c for c in subs if c.kind == "missing" and c.subject == title]
        if missing:
            sentences.append(f"{title} has insufficient data for {_join([_label(c.measure) for c in missing])}.")
    neither = [c for c in subs if c.kind == "missing" and c.subject is None]
    if neither:
        sentences.append(f"Neither has enough data for {_join([_label(c.measure) for c in neither])}.")
    for title in (first_title, second_title):
        inapplicable = [c.measure for c in subs if c.kind == "inapplicable" and c.subject == title]
        if inapplicable:
            sentences.append(f"{title} is not scored on {_do_not_apply(inapplicable, [scope[title]])}.")
    inapplicable = [c.measure for c in subs if c.kind == "inapplicable" and c.subject is None]
    if inapplicable:
        sentences.append(f"Neither is scored on {_do_not_apply(inapplicable, [first.scope, second.scope])}.")
    for c in found:
        if c.kind == "basis":
            scores = first if c.subject == first_title else second
            sentences.append(f"{c.subject}'s rank rests on {basis_text(c.first, scores.applies, scores.scope)}.")  # type: ignore[arg-type]
    return " ".join(sentences)
