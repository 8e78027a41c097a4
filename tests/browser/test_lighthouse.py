"""Lighthouse (npm, pinned in package.json) on mobile, with Debian's Chromium, over the example site
as nginx serves it: at least 95 in performance, accessibility, best practices and SEO on the home
page, an entry, a comparison, search (with a query) and the methodology. The reports (JSON and
HTML) are kept in artifacts/lighthouse/."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM

from .conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
REPORTS = ROOT / "artifacts" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
LEAST = 95
PAGES = {
    "home": "",
    "entry": "models/blip-image-captioning-base/",
    "comparison": "compare/blip-image-captioning-base-vs-blip-image-captioning-large/",
    "search": "search/?q=caption",
    "methodology": "methodology/",
}


def lighthouse(url: str, output: Path, categories: tuple[str, ...]) -> dict:
    """One Lighthouse run on mobile (its default form factor); its JSON report, also written with
    the HTML one as ``output``.report.{json,html}."""
    command = [str(LIGHTHOUSE), url, "--form-factor=mobile", "--only-categories=" + ",".join(categories),
               "--output=json", "--output=html", f"--output-path={output}", "--quiet",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, "CHROME_PATH": CHROMIUM})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(output.with_name(output.name + ".report.json").read_text("utf-8"))
    assert report["lighthouseVersion"] == "12.2.3" and report["configSettings"]["formFactor"] == "mobile"
    assert not report.get("runtimeError"), report["runtimeError"]
    return report


def short_of_full_marks(report: dict, category: str) -> list[str]:
    audits = report["audits"]
    return [f"{category}: {ref['id']} ({audits[ref['id']]['score']}, {audits[ref['id']].get('displayValue', '')})"
            for ref in report["categories"][category]["auditRefs"]
            if ref["weight"] and (audits[ref["id"]]["score"] or 0) < 1
            and audits[ref["id"]]["scoreDisplayMode"] not in ("notApplicable", "informative", "manual")]


@pytest.mark.parametrize("name", PAGES)
def test_lighthouse_scores_at_least_95_on_mobile(served_example, name):
    """Accessibility, best practices and SEO are scored once; performance, which varies from run
    to run with the machine's load (total blocking time most), is the median of three runs, as
    Lighthouse CI does by default. Every report is kept (name.report.*, name-perf-2, name-perf-3)."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed: apt-get install chromium")
    if not LIGHTHOUSE.is_file():
        pytest.skip("Lighthouse is not installed: npm ci (package.json pins it)")
    assert (served_example.folder / PAGES[name].split("?")[0] / "index.html").is_file()
    REPORTS.mkdir(parents=True, exist_ok=True)
    url = served_example.url(PAGES[name])
    first = lighthouse(url, REPORTS / name, CATEGORIES)
    runs = [first] + [lighthouse(url, REPORTS / f"{name}-perf-{n}", ("performance",)) for n in (2, 3)]
    runs.sort(key=lambda report: report["categories"]["performance"]["score"])
    median = runs[1]
    scores = {category: round(first["categories"][category]["score"] * 100) for category in CATEGORIES}
    scores["performance"] = round(median["categories"]["performance"]["score"] * 100)
    performance_runs = sorted(round(r["categories"]["performance"]["score"] * 100) for r in runs)
    print(f"Lighthouse {name}: {scores} (performance runs: {performance_runs})")
    lost = short_of_full_marks(median, "performance") + [
        line for category in CATEGORIES[1:] for line in short_of_full_marks(first, category)]
    assert all(score >= LEAST for score in scores.values()), f"{name}: {scores} (performance runs {performance_runs}); short of full marks: {lost}"
