from __future__ import annotations

import datetime as dt

import pytest

from unfragile_ssg.yamldoc import YamlProblem, load_with_positions


def test_values_and_positions_with_front_matter_offset() -> None:
    data, positions = load_with_positions("title: A\nlist:\n  - x\n  - {k: 2022-01-28}\n", line_offset=1)
    assert data == {"title": "A", "list": ["x", {"k": dt.date(2022, 1, 28)}]}
    assert positions.of(("title",)) == (2, 8)
    assert positions.of(("list", 1, "k")) == (5, 9)
    assert positions.of(("list", 1, "k"), key=True) == (5, 6)
    # a path that does not exist points at its closest parent
    assert positions.of(("list", 1, "missing")) == (5, 5)


def test_duplicate_key_is_an_error_naming_both_lines() -> None:
    with pytest.raises(YamlProblem) as caught:
        load_with_positions("a: 1\nb: 2\na: 3\n")
    assert (caught.value.line, caught.value.col) == (3, 1)
    assert "first defined on line 1" in caught.value.message


def test_alias_bomb_is_bounded() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdef"):
        prev = "abcde"[i]
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(YamlProblem, match="expands to more than"):
        load_with_positions("\n".join(levels))


def test_impossible_date_is_left_for_the_schema_to_report() -> None:
    data, _ = load_with_positions("d: 2022-13-45\n")
    assert data == {"d": "2022-13-45"}


def test_syntax_error_has_position() -> None:
    with pytest.raises(YamlProblem) as caught:
        load_with_positions("a: [1, 2\nb: 3\n", line_offset=1)
    assert caught.value.line >= 2
    assert caught.value.message.startswith("invalid YAML:")


SYNTAX_ERRORS = [
    # (text, line, column, what the message must say)
    ("title: A\nlinks:\n\thomepage: https://x\n", 3, 1, "YAML forbids tabs for indentation: use spaces"),
    ("title: A\nsummary: Captions: images\n", 2, 18, "the value of 'summary' contains ': '"),
    ("tags:\n  - a: b: c\n", 2, 9, "the value of 'a' contains ': '"),
    ("links:\n    homepage: https://x\n  source: https://y\n", 3, 3, "bad indentation"),
    ("title: A\n  summary: B\n", 2, 3, "indented further than the field above it"),
    ('title: "A\nsummary: B\n', 1, 8, 'the quote " opened here is never closed'),
    ("title: A\nsummary: [x\npublisher: P\n", 2, 10, "the '[' opened here is never closed: close it with ']'"),
    ("title: A\nsummary: {x\npublisher: P\n", 2, 10, "the '{' opened here is never closed: close it with '}'"),
    ("title: @foo\n", 1, 8, "a value cannot start with '@': wrap the value in quotes"),
    ('title: "A" b\n', 1, 12, "text after the closing quote"),
    ("title A\nsummary: b\n", 1, 1, "this line has no ':' after its field name"),
]


@pytest.mark.parametrize("parser", ["libyaml", "python"])
@pytest.mark.parametrize("text,line,col,says", SYNTAX_ERRORS)
def test_syntax_errors_name_the_mistake_and_the_fix(monkeypatch, parser, text, line, col, says) -> None:
    """The same words and position from either parser (they word their own errors differently)."""
    import yaml

    from unfragile_ssg import yamldoc

    if parser == "python":
        monkeypatch.setattr(yamldoc, "_Loader", yaml.SafeLoader)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML built without libyaml")
    with pytest.raises(YamlProblem) as caught:
        load_with_positions(text, line_offset=2)
    assert (caught.value.line, caught.value.col) == (line + 2, col)
    assert caught.value.message.startswith("invalid YAML: ")
    assert says in caught.value.message
