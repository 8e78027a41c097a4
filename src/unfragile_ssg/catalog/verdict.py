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
    side: int | None = None  # whose claim: 0 the first side, 1 the second (two sides may share a title), None both


def _sides_without(kind: str, measure: str, titles: tuple[str, str], flags: tuple[bool, bool]) -> list[Claim]:
    """One claim for the sides that ``flags`` mark: both at once (subject None), or one."""
    if all(flags):
        return [Claim(kind, measure, None, None, None)]
    return [Claim(kind, measure, title, None, None, side) for side, (title, flag) in enumerate(zip(titles, flags)) if flag]


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
            side = None if a is None and b is None else (0 if a is None else 1)
            out.append(Claim("missing", measure, None if side is None else titles[side], a, b, side))
        elif a == b:
            out.append(Claim("tie", measure, None, a, b))
        elif abs(a - b) <= tie_margin:
            out.append(Claim("close", measure, None, a, b))
        else:
            side = 0 if a > b else 1
            out.append(Claim("lead", measure, titles[side], a, b, side))
    if first.rank is not None and second.rank is not None:
        for side, scores in enumerate((first, second)):
            if scores.basis < len(SUBSCORES):
                out.append(Claim("basis", "rank", titles[side], scores.basis, len(scores.applies), side))
    return out


# Every word of a verdict, as templates: the build writes the verdicts of the comparison pages
# with them, and hands them (``client_phrasing``) to the compare page's script, which writes
# the verdict of any pair a reader picks with the same words.
PHRASES = {
    "overall_missing": "There is not enough evidence to rank {who} yet, so this page makes no overall call.",
    "either": "{first} or {second}",
    "overall_tie": "{first} and {second} are tied overall at {score}/100.",
    "overall_close": "{first} and {second} are within {points} of each other overall ({a} vs {b}), too close to call.",
    "overall_lead": "{leader} ranks higher overall: {high}/100 vs {low}/100.",
    "leads": "{title} leads on {items}.",
    "lead_item": "{label} ({own} vs {other})",
    "ties": "They are tied on {items}.",
    "tie_item": "{label} ({score})",
    "close": "They are within {points} on {items}.",
    "close_item": "{label} ({a} vs {b})",
    "missing": "{title} has insufficient data for {labels}.",
    "neither_missing": "Neither has enough data for {labels}.",
    "inapplicable": "{title} is not scored on {labels}: {verb} not apply to {scopes}.",
    "neither_inapplicable": "Neither is scored on {labels}: {verb} not apply to {scopes}.",
    "verb_one": "it does",
    "verb_many": "they do",
    "basis": "{title}'s rank rests on {basis}.",
    "list_comma": ", ",
    "list_and": " and ",
    "scopes_or": " or ",
    "sentence_gap": " ",
}


def _say(phrase: str, **values: object) -> str:
    return PHRASES[phrase].format(**values)


def _label(measure: str) -> str:
    return SUBSCORE_LABELS[measure].lower()


def points(margin: float) -> str:
    """The tie margin in words: "2 points", "1 point", "2.5 points"."""
    return f"{margin:g} point" + ("" if margin == 1 else "s")


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return PHRASES["list_comma"].join(items[:-1]) + PHRASES["list_and"] + items[-1]


def _inapplicable(phrase: str, title: str | None, measures: list[str], scopes: list[str]) -> str:
    verb = PHRASES["verb_one"] if len(measures) == 1 else PHRASES["verb_many"]
    return _say(phrase, title=title, labels=_join([_label(m) for m in measures]), verb=verb,
                scopes=PHRASES["scopes_or"].join(dict.fromkeys(scopes)))


def client_phrasing(tie_margin: float) -> dict:
    """What a script needs to write verdicts as ``verdict`` does: the phrases, the tie margin
    (and in words), and each sub-score's name in running text, in the order claims are made."""
    return {
        "phrases": dict(PHRASES),
        "tie_margin": tie_margin,
        "points": points(tie_margin),
        "measures": ["rank", *SUBSCORES],
        "labels": {name: _label(name) for name in SUBSCORES},
    }


def verdict(first_title: str, first: Scores, second_title: str, second: Scores, tie_margin: float) -> str:
    """Sides in page order: ``first`` is the left column, ``second`` the right one."""
    found = claims(first_title, first, second_title, second, tie_margin)
    titles, sides = (first_title, second_title), (first, second)
    sentences: list[str] = []
    overall = found[0]
    if overall.kind == "missing":
        who = _say("either", first=first_title, second=second_title) if overall.subject is None else overall.subject
        sentences.append(_say("overall_missing", who=who))
    elif overall.kind == "tie":
        sentences.append(_say("overall_tie", first=first_title, second=second_title, score=overall.first))
    elif overall.kind == "close":
        sentences.append(_say("overall_close", first=first_title, second=second_title, points=points(tie_margin),
                              a=overall.first, b=overall.second))
    else:
        high, low = max(overall.first, overall.second), min(overall.first, overall.second)  # type: ignore[type-var]
        sentences.append(_say("overall_lead", leader=overall.subject, high=high, low=low))

    subs = [c for c in found[1:] if c.kind != "basis"]
    for side, title in enumerate(titles):
        leads = [c for c in subs if c.kind == "lead" and c.side == side]
        if leads:
            parts = [_say("lead_item", label=_label(c.measure), own=c.first if side == 0 else c.second,
                          other=c.second if side == 0 else c.first) for c in leads]
            sentences.append(_say("leads", title=title, items=_join(parts)))
    ties = [c for c in subs if c.kind == "tie"]
    if ties:
        sentences.append(_say("ties", items=_join([_say("tie_item", label=_label(c.measure), score=c.first) for c in ties])))
    close = [c for c in subs if c.kind == "close"]
    if close:
        parts = [_say("close_item", label=_label(c.measure), a=c.first, b=c.second) for c in close]
        sentences.append(_say("close", points=points(tie_margin), items=_join(parts)))
    for side, title in enumerate(titles):
        missing = [c for c in subs if c.kind == "missing" and c.side == side]
        if missing:
            sentences.append(_say("missing", title=title, labels=_join([_label(c.measure) for c in missing])))
    neither = [c for c in subs if c.kind == "missing" and c.side is None]
    if neither:
        sentences.append(_say("neither_missing", labels=_join([_label(c.measure) for c in neither])))
    for side, title in enumerate(titles):
        inapplicable = [c.measure for c in subs if c.kind == "inapplicable" and c.side == side]
        if inapplicable:
            sentences.append(_inapplicable("inapplicable", title, inapplicable, [sides[side].scope]))
    inapplicable = [c.measure for c in subs if c.kind == "inapplicable" and c.side is None]
    if inapplicable:
        sentences.append(_inapplicable("neither_inapplicable", None, inapplicable, [first.scope, second.scope]))
    for c in found:
        if c.kind == "basis":
            scores = sides[c.side]  # type: ignore[index]
            sentences.append(_say("basis", title=c.subject, basis=basis_text(c.first, scores.applies, scores.scope)))  # type: ignore[arg-type]
    return PHRASES["sentence_gap"].join(sentences)
