"""Lighthouse (npm, pinned in package.json) on mobile, with Debian's Chromium, over the example site
as nginx serves it: at least 95 in performance, accessibility, best practices and SEO on the home
page, an entry, a comparison, search (with a query) and the methodology. The reports (JSON and
HTML) are kept in artifacts/lighthouse/."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from .conftest import CHROMIUM, ROOT

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


@pytest.mark.parametrize("name", PAGES)
def test_lighthouse_scores_at_least_95_on_mobile(served_example, name):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed: apt-get install chromium")
    if not LIGHTHOUSE.is_file():
        pytest.skip("Lighthouse is not installed: npm ci (package.json pins it)")
    assert (served_example.folder / PAGES[name].split("?")[0] / "index.html").is_file()
    REPORTS.mkdir(parents=True, exist_ok=True)
    command = [str(LIGHTHOUSE), served_example.url(PAGES[name]), "--form-factor=mobile",
               "--only-categories=" + ",".join(CATEGORIES), "--output=json", "--output=html",
               f"--output-path={REPORTS / name}", "--quiet",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "CHROME_PATH": CHROMIUM})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((REPORTS / f"{name}.report.json").read_text("utf-8"))
    assert report["lighthouseVersion"] == "12.2.3" and report["configSettings"]["formFactor"] == "mobile"
    assert not report.get("runtimeError"), report["runtimeError"]
    scores = {category: round(report["categories"][category]["score"] * 100) for category in CATEGORIES}
    print(f"Lighthouse {name}: {scores}")
    # what cost points, to say why a score is short
    lost = [f"{category}: {ref['id']} ({report['audits'][ref['id']]['score']}, {report['audits'][ref['id']].get('displayValue', '')})"
            for category in CATEGORIES for ref in report["categories"][category]["auditRefs"]
            if ref["weight"] and (report["audits"][ref["id"]]["score"] or 0) < 1
            and report["audits"][ref["id"]]["scoreDisplayMode"] not in ("notApplicable", "informative", "manual")]
    assert all(score >= LEAST for score in scores.values()), f"{name}: {scores}; audits short of full marks: {lost}"
