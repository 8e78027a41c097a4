"""Regenerate the golden output of every fixture site: ``make golden`` (``python -m tests.golden``).

Each site in tests/fixtures/sites/ is copied to a temporary folder (outside git, so no
"last updated" dates leak in), built without the search index, and its output replaces
the site's ``expected/`` folder. Each invalid site in tests/fixtures/invalid/ is checked and
what ``unfragile check`` prints replaces its ``expected.txt``. Review the diff with
``git diff`` before committing: a golden file is only as right as its last review.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

SITES = Path(__file__).parent / "fixtures" / "sites"
INVALID = Path(__file__).parent / "fixtures" / "invalid"
IGNORED = (".unfragile-build",)


def build_copy(site: Path, workdir: Path) -> Path:
    from unfragile_ssg.config import load_project
    from unfragile_ssg.site.build import BuildOptions, build_site

    copy = workdir / site.name
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("expected", ".unfragile-cache"))
    output = workdir / f"{site.name}-output"
    build_site(load_project(copy / "unfragile.yaml"), BuildOptions(output=output, search=False, jobs=1, captions=False))
    for name in IGNORED:
        (output / name).unlink(missing_ok=True)
    return output


def main() -> int:
    for site in sorted(p for p in SITES.iterdir() if (p / "unfragile.yaml").is_file()):
        with tempfile.TemporaryDirectory() as folder:
            output = build_copy(site, Path(folder))
            shutil.rmtree(site / "expected", ignore_errors=True)
            shutil.copytree(output, site / "expected")
        print(f"regenerated {site / 'expected'}")
    from tests.conftest import run_cli

    for case in sorted(p for p in INVALID.iterdir() if p.is_dir()):
        with tempfile.TemporaryDirectory() as folder:  # a check writes its cache beside the settings
            copy = Path(folder) / case.name
            shutil.copytree(case, copy, ignore=shutil.ignore_patterns(".unfragile-cache", "expected.txt"))
            result = run_cli("check", cwd=copy)
        (case / "expected.txt").write_text(result.stderr, "utf-8")
        print(f"regenerated {case / 'expected.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
