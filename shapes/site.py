"""Caption the shapes captioner's sample scenes into the example site's caption store.

    .venv/bin/python -m shapes.site [--config unfragile.yaml]

Runs the build's own captioning step (``unfragile_ssg.captions.step.caption_entries``) on the
``shapes-captioner`` entry only, with the model setting pointed at ``shapes/model`` and every
other caption setting taken from ``unfragile.yaml``, so the results land in the store under the
same keys a build looks up for that entry once it names its own captioner. Commit the new
``captions/<key>/`` folders and ``captions/images/`` files it reports.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SLUG = "shapes-captioner"
MODEL_SPEC = "shapes/model"  # relative to the site root, as an entry or the settings would name it


def load_entry(config: Path):
    from unfragile_ssg.config import load_project
    from unfragile_ssg.content.load import load_entries
    from unfragile_ssg.content.validate import validate_entries

    project = load_project(config)
    raws, problems = load_entries(project)
    entries, invalid = validate_entries(project, raws)
    entry = next((e for e in entries if e.slug == SLUG), None)
    if entry is None:
        found = [str(p) for p in (*problems, *invalid) if SLUG in str(p)]
        raise SystemExit(f"entry '{SLUG}' is missing or invalid: {'; '.join(found) or 'not found'}")
    return project, entry


def caption_samples(config: Path, *, compute: bool = True):
    """The build's caption report for the shapes entry's samples (computing misses if asked)."""
    from unfragile_ssg.captions.step import caption_entries

    project, entry = load_entry(config)
    report = caption_entries(project, [entry], overrides={"model": MODEL_SPEC}, compute=compute)
    return project, report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("unfragile.yaml"))
    args = parser.parse_args(argv)
    project, report = caption_samples(args.config)
    for problem in report.warnings:
        print(problem, file=sys.stderr)
    for view in report.samples.get(SLUG, []):
        print(f"{view.source_path}: {view.caption!r}  ->  {project.display(project.caption_store)}/{view.key}/")
    print(f"{report.hits} from the store, {report.computed} computed, {report.seconds:.1f} s")
    return 1 if report.warnings else 0


if __name__ == "__main__":
    raise SystemExit(main())
