"""A commented, valid skeleton for a new entry (``unfragile new model my-model``)."""

from __future__ import annotations

import datetime as dt

SKELETON = """\
---
# {kind_label} entry. Every field is described by `unfragile schema`; required ones are marked.
title: {title}                      # required: the name readers know it by
summary: One sentence that says what it does and for whom.   # required, at most 300 characters
publisher: Who publishes it         # required
license: MIT                        # required: SPDX identifier where one exists
pricing: free                       # required: free, freemium, paid or contact
links:
  homepage: https://example.org/{slug}
  # source: https://github.com/org/repo
  # paper: https://arxiv.org/abs/0000.00000
  # model_card: https://huggingface.co/org/{slug}
tasks:                              # required: from the tasks listed in unfragile.yaml
  - {task}
tags: []
signals:                            # raw, dated evidence; scores are computed from these
  # downloads: {{value: 1000, as_of: {today}, source: https://huggingface.co/org/{slug}}}
  # stars: {{value: 100, as_of: {today}, source: https://github.com/org/repo}}
  # released: {{value: {today}, source: https://example.org/announcement}}
  benchmarks: []
capabilities:
  - name: What it does, in a few words
    description: How it does it, precisely enough for an engineer to judge.
    unique: What it does that the alternatives do not.
    vs_alternatives: How it compares with named alternatives in the catalog.
    tasks: [{task}]
    # id: what-it-does                # optional: pins its capability:// URI when the name changes
    intents:                          # the needs it serves, in a user's words
      - A need it serves, as a user would say it
    best_for: [Who or what it suits best]
    limitations: [Where it falls short, as its publisher documents]
    requires: [What it needs to run]
# failure_modes:                    # known ways it fails, how often, and what to do about it
#   - {{mode: What goes wrong, frequency: how often, mitigation: what to do}}
compare_with: []                    # slugs of entries a reader would compare it with
---
The overview, in markdown: what it is, when to choose it, and its limits.
"""


def skeleton(kind_label: str, slug: str, task: str, today: dt.date | None = None) -> str:
    title = slug.replace("-", " ").title()
    return SKELETON.format(kind_label=kind_label, title=title, slug=slug, task=task, today=(today or dt.date.today()).isoformat())
