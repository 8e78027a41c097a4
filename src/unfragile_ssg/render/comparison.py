"""The comparison table's rows, and the rules a browser needs to build any pair's table and verdict.

The static comparison pages render ``ROWS`` through ``partials/score_rows.html`` and their
verdicts through ``catalog.verdict``; the compare page (``/compare/``) hands the same rows, cell
words, verdict phrases and tie margin to ``compare.js`` as JSON (``client_rules``), so a pair
picked in the browser reads as its static page would. The numbers come from ``catalog.json``,
as the pages show them (``shown``: whole numbers, rounded once, here).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from markupsafe import Markup

from ..catalog.model import SUBSCORE_LABELS, SUBSCORES, Pair, basis_text
from ..catalog.verdict import client_phrasing
from ..pages.urls import CATALOG_PATH, compare_path, entry_path


@dataclass(frozen=True)
class Row:
    label: str
    cell: str  # what each side's cell shows: kind, rank, subscore, pricing, capabilities, times_matched
    measure: str | None = None  # the sub-score of a "subscore" row
    numeric: bool = False  # a number, right-aligned (class "num")


ROWS: tuple[Row, ...] = (
    Row("Type", "kind"),
    Row("UnfragileRank", "rank", numeric=True),
    *(Row(SUBSCORE_LABELS[name], "subscore", name, numeric=True) for name in SUBSCORES),
    Row("Pricing", "pricing"),
    Row("Capabilities", "capabilities"),
    Row("Times Matched", "times_matched", numeric=True),
)

# the words of the cells; {…} is replaced by the side's value
CELL_TEXTS = {
    "missing": "insufficient data",
    "inapplicable": "does not apply to {scope}",
    "rank": "{score}/100",
    "basis": "(from {basis})",
    "capabilities": "{count} decomposed",
}


def client_rules(context, pricing_labels: dict[str, str]) -> dict:
    """Everything ``compare.js`` needs besides ``catalog.json``: rows, cell words, the kinds (label,
    what applies, the basis in words for each count of sub-scores), pricing labels, the verdict's
    phrasing, and the site's URLs as templates made by the site's own URL helpers."""
    settings, linker = context.project.settings, context.linker
    kinds = {}
    for kind, named in settings.kinds.items():
        applies = settings.scoring.applies(kind)
        kinds[kind] = {
            "label": named.label,
            "scope": named.noun,
            "applies": list(applies),
            "basis": [basis_text(count, applies, named.noun) for count in range(len(applies) + 1)],
        }
    return {
        "rows": [{k: v for k, v in asdict(row).items() if v is not None} for row in ROWS],
        "cells": CELL_TEXTS,
        "subscores": list(SUBSCORES),
        "kinds": kinds,
        "pricing": pricing_labels,
        "verdict": client_phrasing(context.catalog.tie_margin),
        "urls": {
            "catalog": linker.url(CATALOG_PATH),
            "entry": linker.url(entry_path("{kind}", "{slug}")),
            "pair": linker.url(compare_path(Pair("{a}", "{b}"))),
        },
    }


def rules_script(rules: dict) -> Markup:
    """The rules as the body of a ``<script type="application/json">``: deterministic, and no
    ``<`` that could end the element early."""
    text = json.dumps(rules, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
