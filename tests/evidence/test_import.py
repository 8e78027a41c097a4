"""``unfragile import hf`` and ``unfragile import manifest``: valid entries, never an overwrite, bad input by line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.conftest import run_cli, tree
from unfragile_ssg.evidence.standin import hub_model

MANIFEST = """\
# A builder's manifest
unfragile_version: "1.0"
artifact:
  name: Caption Helper
  slug: caption-helper
  type: model
  maintainer: Example Labs
  repository: https://github.com/example/caption-helper
  license: MIT
  logo: https://example.org/logo.png
capabilities:
  - id: caption.single
    name: Single-sentence captions
    description: Writes one literal English sentence for a photograph, suitable for alt text on web pages and for photo search.
    intents_served: [image-captioning, alt text]
    conditions:
      bestFor: [product photos]
      limitations: [English only]
      requires: [a GPU with 4 GB of memory]
    unique_aspect: Runs in 200 ms on a laptop.
pricing:
  model: freemium
  starting_price: 10 USD a month
failure_modes:
  - mode: Invents the text of signs | it cannot read
    frequency: common
    mitigation: Pair it with an OCR model.
execution:
  runtime: python
"""


def today() -> str:
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


def test_import_hf_writes_a_valid_entry_from_the_hub(standin, evidence_site: Path) -> None:
    standin.models["acme/tiny-captioner"] = hub_model("acme/tiny-captioner", downloads=321, likes=9, parameters=12345678,
                                                      pipeline_tag="image-to-text", license="apache-2.0",
                                                      created="2024-02-02T00:00:00.000Z", modified="2024-03-03T00:00:00.000Z")
    standin.models["acme/tiny-captioner"]["tags"] += ["arxiv:2201.12086", "en", "endpoints_compatible"]
    result = run_cli("import", "hf", "acme/tiny-captioner", cwd=evidence_site)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Wrote content/models/tiny-captioner.md: read it, write its overview, then run 'unfragile check'.\n"
    page = "https://huggingface.co/acme/tiny-captioner"
    assert (evidence_site / "content/models/tiny-captioner.md").read_text() == f"""\
---
title: tiny-captioner
summary: 'tiny-captioner: an image to text model published by acme on the Hugging Face Hub.'
publisher: acme
license: Apache-2.0
pricing: free
links:
  model_card: {page}
  paper: https://arxiv.org/abs/2201.12086
tasks:
- image-captioning
tags:
- transformers
- pytorch
- en
signals:
  downloads:
    value: 321
    as_of: {today()}
    source: {page}
  likes:
    value: 9
    as_of: {today()}
    source: {page}
  parameters:
    value: 12345678
    source: {page}
  released:
    value: 2024-02-02
    source: {page}
  updated:
    value: 2024-03-03
    source: {page}
---
Imported from {page} on {today()} by `unfragile import hf`: the title, publisher, licence and signals are the hub's; pricing says free because the files are public (change it if using it costs money). Write the overview here: what it does, when to choose it, and what it is not for.
"""
    check = run_cli("check", cwd=evidence_site)
    assert check.exit_code == 0, check.stderr

    before = tree(evidence_site / "content")
    again = run_cli("import", "hf", "acme/tiny-captioner", cwd=evidence_site)
    assert again.exit_code == 1
    assert again.stderr.startswith("tiny-captioner: an entry 'tiny-captioner' already exists "
                                   "(content/models/tiny-captioner.md): nothing was written")
    assert tree(evidence_site / "content") == before


def test_import_hf_needs_a_task_of_the_site_and_an_existing_repository(standin, evidence_site: Path) -> None:
    standin.models["acme/speech"] = hub_model("acme/speech", downloads=1, likes=1, pipeline_tag="automatic-speech-recognition")
    result = run_cli("import", "hf", "acme/speech", cwd=evidence_site)
    assert result.exit_code == 1
    assert result.stderr.startswith("acme/speech: the hub gives pipeline tag 'automatic-speech-recognition', which is "
                                    "none of the site's tasks: pass --task with one of image-captioning, prompt-engineering")
    assert run_cli("import", "hf", "acme/speech", "--task", "prompt-engineering", "--slug", "speech-x",
                   cwd=evidence_site).exit_code == 0
    assert "- prompt-engineering" in (evidence_site / "content/models/speech-x.md").read_text()
    missing = run_cli("import", "hf", "acme/none", cwd=evidence_site)
    assert missing.exit_code == 1
    assert missing.stderr.startswith("acme/none: the hub has no model 'acme/none' (or it is private): check the id")
    assert run_cli("import", "hf", "not a repo", cwd=evidence_site).stderr.startswith(
        "not a repo: not a hub repository: write ORG/NAME, datasets/ORG/NAME or its https://huggingface.co/ address")
    datasets = run_cli("import", "hf", "datasets/acme/set", cwd=evidence_site)
    assert "'datasets' is not a kind of this site" in datasets.stderr


def test_import_manifest_maps_capabilities_and_failure_modes_into_fields(evidence_site: Path) -> None:
    manifest = evidence_site / "unfragile.yml"
    manifest.write_text(MANIFEST)
    result = run_cli("import", "manifest", "unfragile.yml", cwd=evidence_site)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "warning: unfragile.yml:12:3: fewer than 3 capabilities\n"
        "warning: unfragile.yml:15:21: intents 'alt text' are none of the site's tasks: kept as the capability's intents\n")
    assert (evidence_site / "content/models/caption-helper.md").read_text() == f"""\
---
title: Caption Helper
summary: Writes one literal English sentence for a photograph, suitable for alt text on web pages and
  for photo search.
publisher: Example Labs
license: MIT
pricing: freemium
links:
  source: https://github.com/example/caption-helper
tasks:
- image-captioning
capabilities:
- name: Single-sentence captions
  description: Writes one literal English sentence for a photograph, suitable for alt text on web pages
    and for photo search.
  id: caption-single
  unique: Runs in 200 ms on a laptop.
  tasks:
  - image-captioning
  intents:
  - image-captioning
  - alt text
  best_for:
  - product photos
  limitations:
  - English only
  requires:
  - a GPU with 4 GB of memory
failure_modes:
- mode: Invents the text of signs | it cannot read
  frequency: common
  mitigation: Pair it with an OCR model.
---
## From the builder's manifest

Imported from `unfragile.yml` (Unfragile Capability Protocol 1.0) on {today()}. The capabilities (with their intents, conditions and ids) and the failure modes are in the entry's fields; what they cannot hold is kept here as the builder wrote it.

### Pricing

- Model: freemium
- Starting price: 10 USD a month

### Execution

```yaml
runtime: python
```

### Other fields

```yaml
artifact.logo: https://example.org/logo.png
```
"""
    check = run_cli("check", cwd=evidence_site)
    assert check.exit_code == 0, check.stderr
    again = run_cli("import", "manifest", "unfragile.yml", cwd=evidence_site)
    assert again.exit_code == 1
    assert again.stderr.startswith("unfragile.yml:5:9: an entry 'caption-helper' already exists")


def test_a_bad_manifest_is_reported_by_line_and_nothing_is_written(evidence_site: Path) -> None:
    manifest = evidence_site / "unfragile.yml"
    manifest.write_text(MANIFEST.replace("    description: Writes one", "    description: Too short.\n    x: Writes one")
                        .replace("  model: freemium", "  model: cheap").replace("  type: model", "  type: mcp"))
    before = tree(evidence_site / "content")
    result = run_cli("import", "manifest", "unfragile.yml", cwd=evidence_site)
    assert result.exit_code == 1
    assert result.stderr == (
        "unfragile.yml:14:18: 'capabilities[0].description': string should have at least 100 characters, got 'Too short.'\n"
        "unfragile.yml:23:10: 'pricing.model': must be one of 'free', 'freemium', 'paid' or 'contact', got 'cheap'\n"
        "2 problems found; nothing was written.\n")
    manifest.write_text(MANIFEST.replace("  type: model", "  type: mcp"))
    result = run_cli("import", "manifest", "unfragile.yml", cwd=evidence_site)
    assert result.stderr == (
        "unfragile.yml:6:9: 'mcp' is not a kind of this site: pass --kind with one of models, prompts, or add the "
        "kind under 'kinds' in unfragile.yaml\n1 problem found; nothing was written.\n")
    manifest.write_text("artifact: [unclosed\n")
    result = run_cli("import", "manifest", "unfragile.yml", cwd=evidence_site)
    assert result.exit_code == 1 and result.stderr.startswith("unfragile.yml:1:11: invalid YAML: the '[' opened here is never closed")
    assert tree(evidence_site / "content") == before
