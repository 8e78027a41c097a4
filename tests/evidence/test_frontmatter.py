"""Signals edited in place: only the changed scalars and the new lines differ, in every YAML style."""

from __future__ import annotations

import datetime as dt

import pytest

from unfragile_ssg.evidence.frontmatter import EditRefused, update_signals

DAY = dt.date(2026, 12, 2)
STARS = {"stars": {"value": 12, "as_of": DAY, "source": "https://github.com/a/b"}}


def test_changed_scalars_are_replaced_where_they_stand_keeping_comments() -> None:
    text = ("---\ntitle: x\nsignals:\n  stars:\n    value: 10  # read by hand\n    as_of: 2026-01-01\n"
            "    source: https://github.com/a/b\n---\nBody: unchanged.\n")
    assert update_signals(text, ".md", STARS) == text.replace("value: 10", "value: 12").replace("2026-01-01", "2026-12-02")


def test_new_signals_follow_the_last_one_in_the_style_of_their_siblings() -> None:
    block = "---\nsignals:\n  likes:\n    value: 1\n    source: https://h/a\n\n# a comment\ncapabilities: []\n---\n"
    assert update_signals(block, ".md", STARS) == block.replace(
        "https://h/a\n", "https://h/a\n  stars:\n    value: 12\n    as_of: 2026-12-02\n    source: https://github.com/a/b\n")
    flow = "---\nsignals:\n  likes: {value: 1, source: 'https://h/a'}\n---\n"
    assert update_signals(flow, ".md", STARS) == flow.replace(
        "'}\n", "'}\n  stars: {value: 12, as_of: 2026-12-02, source: https://github.com/a/b}\n")


def test_empty_or_absent_signals_become_a_block() -> None:
    empty = "---\ntitle: x\nsignals: {}  # none yet\ntags: []\n---\n"
    assert update_signals(empty, ".md", STARS) == (
        "---\ntitle: x\nsignals: # none yet\n  stars:\n    value: 12\n    as_of: 2026-12-02\n"
        "    source: https://github.com/a/b\ntags: []\n---\n")
    absent = "---\ntitle: x\nlinks:\n    homepage: https://h/\ncapabilities: []\n---\n"  # four-space indents are kept
    assert update_signals(absent, ".md", STARS) == absent.replace(
        "capabilities", "signals:\n    stars:\n        value: 12\n        as_of: 2026-12-02\n"
                        "        source: https://github.com/a/b\ncapabilities")


def test_a_missing_field_of_a_signal_is_added_and_others_kept() -> None:
    text = "---\nsignals:\n  stars:\n    value: 10\n    source: https://github.com/a/b\n---\n"
    assert update_signals(text, ".md", STARS) == (
        "---\nsignals:\n  stars:\n    value: 12\n    source: https://github.com/a/b\n    as_of: 2026-12-02\n---\n")


def test_line_endings_byte_order_mark_and_plain_yaml_files_are_kept() -> None:
    crlf = "\ufeff---\r\nsignals:\r\n  stars:\r\n    value: 10\r\n    source: https://github.com/a/b\r\n---\r\nBody\r\n"
    out = update_signals(crlf, ".md", STARS)
    assert out == crlf.replace("value: 10\r\n", "value: 12\r\n").replace(
        "a/b\r\n---", "a/b\r\n    as_of: 2026-12-02\r\n---")
    plain = "title: x\nsignals:\n  stars: {value: 10, as_of: 2026-01-01, source: https://github.com/a/b}\nbody: |\n  text\n"
    assert update_signals(plain, ".yaml", STARS) == plain.replace("10, as_of: 2026-01-01", "12, as_of: 2026-12-02")


@pytest.mark.parametrize("url, written", [
    ("https://github.com/a/b#readme", "https://github.com/a/b#readme"),
    ("https://x.org/a: b", '"https://x.org/a: b"'),
    ("https://x.org/a #b", '"https://x.org/a #b"'),
])
def test_strings_are_quoted_only_when_plain_yaml_would_read_them_otherwise(url: str, written: str) -> None:
    text = "---\nsignals:\n  stars:\n    value: 1\n    as_of: 2026-01-01\n    source: https://old/\n---\n"
    out = update_signals(text, ".md", {"stars": {"value": 1, "as_of": dt.date(2026, 1, 1), "source": url}})
    assert out == text.replace("https://old/", written)


def test_in_flow_mappings_commas_and_brackets_are_quoted() -> None:
    text = "---\nsignals:\n  stars: {value: 1, as_of: 2026-01-01, source: https://old/}\n---\n"
    out = update_signals(text, ".md", {"stars": {"value": 1, "as_of": dt.date(2026, 1, 1), "source": "https://x/a,b"}})
    assert out == text.replace("https://old/", '"https://x/a,b"')


def test_what_it_cannot_edit_safely_is_refused() -> None:
    with pytest.raises(EditRefused, match="'signals' is not a mapping"):
        update_signals("---\nsignals: [1]\n---\n", ".md", STARS)
    with pytest.raises(EditRefused, match="signal 'stars' is not a mapping"):
        update_signals("---\nsignals:\n  stars: 5\n---\n", ".md", STARS)
    with pytest.raises(EditRefused, match="front matter cannot be found"):
        update_signals("no front matter\n", ".md", STARS)


def test_positions_count_characters_not_bytes() -> None:
    text = ("---\ntitle: \"×× é 😀\"\nsignals:\n  likes: {value: 1, note: \"ü😀\", source: https://h/a}\n"
            "  stars: {value: 10, as_of: 2026-01-01, source: https://github.com/a/b}\n---\nÜber.\n")
    assert update_signals(text, ".md", STARS) == text.replace("value: 10, as_of: 2026-01-01", "value: 12, as_of: 2026-12-02")
