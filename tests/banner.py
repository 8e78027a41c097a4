"""A loud banner at the end of a test run that skipped browser tests (marked ``browser``).

pytest's one-line "s" per skip is easy to miss; a run without Chromium must say plainly that
the pages were never tried in a browser, which tests those were and how to run them.
"""

from __future__ import annotations


def skipped_browser_tests(stats: dict) -> list[tuple[str, str]]:
    """(test id, reason) of every skipped test marked ``browser``."""
    found = []
    for report in stats.get("skipped", []):
        if "browser" not in getattr(report, "keywords", {}):
            continue
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        found.append((report.nodeid, reason.removeprefix("Skipped: ")))
    return found


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    skipped = skipped_browser_tests(terminalreporter.stats)
    if not skipped:
        return
    write = terminalreporter.write_line
    terminalreporter.write_sep("!", f"{len(skipped)} BROWSER TEST{'S' if len(skipped) != 1 else ''} SKIPPED", red=True, bold=True)
    for reason in sorted({reason for _, reason in skipped}):
        write(f"reason: {reason}", red=True, bold=True)
    for nodeid, _ in skipped:
        write(f"  skipped: {nodeid}")
    write("The site's pages were not tried in a real browser. Install what the reason names (as root on Debian: "
          "apt-get install chromium nginx; `make test` installs Chromium where it can) and run the tests again.", red=True, bold=True)
    terminalreporter.write_sep("!", red=True, bold=True)
