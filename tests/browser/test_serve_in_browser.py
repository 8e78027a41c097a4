"""`unfragile serve` in a real browser: the page reloads itself after a rebuild, and a failed
rebuild's problems show over the last good page, as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.serving import ServeProcess

pytestmark = pytest.mark.browser


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_the_page_reloads_after_a_rebuild_and_shows_a_failed_one(basic_site: Path, tmp_path: Path, page) -> None:
    from playwright.sync_api import expect

    entry = basic_site.parent / "content/models/gamma-writer.md"
    problems = page.locator("#unfragile-problems")
    with ServeProcess(basic_site, "--no-search", "-o", str(tmp_path / "out")) as serve:
        page.goto(serve.url + "models/gamma-writer/")
        expect(page.locator("main")).to_contain_text("Gamma writes.")
        page.evaluate("window.loadedBefore = true")

        edit(entry, "Gamma writes.", "Gamma now rhymes.")
        expect(page.locator("main")).to_contain_text("Gamma now rhymes.", timeout=30_000)
        assert page.evaluate("window.loadedBefore") is None  # a new page load, not a patch
        expect(problems).to_have_count(0)

        edit(entry, "license: Apache-2.0\n", "license: Apache-2.0\nlicence: MIT\n")
        expect(problems).to_contain_text(
            "content/models/gamma-writer.md:6:1: unknown field 'licence' (did you mean 'license'?)", timeout=30_000)
        expect(problems).to_contain_text("Rebuild failed (1 problem)")
        expect(page.locator("main")).to_contain_text("Gamma now rhymes.")  # the last good build, underneath
        page.reload()  # a page opened while the build is broken shows the problems at once
        expect(problems).to_contain_text("content/models/gamma-writer.md:6:1: unknown field 'licence'")

        edit(entry, "licence: MIT\n", '"<img src=x onerror=window.pwned=1>": 1\n')
        expect(problems).to_contain_text("content/models/gamma-writer.md:6:1: unknown field '<img src=x onerror=window.pwned=1>'",
                                         timeout=30_000)
        assert problems.locator("img").count() == 0 and page.evaluate("window.pwned") is None  # text, not markup

        page.evaluate("window.loadedBefore = true")
        edit(entry, '"<img src=x onerror=window.pwned=1>": 1\n', "")
        expect(problems).to_have_count(0, timeout=30_000)
        assert page.evaluate("window.loadedBefore") is None
        expect(page.locator("main")).to_contain_text("Gamma now rhymes.")
