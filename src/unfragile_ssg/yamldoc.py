"""YAML parsing that can say where every key and value came from.

Validation messages must point at ``path:line:col``. The loader keeps PyYAML's node tree
beside the data, and ``Positions.of`` walks it only when a message needs a position, so
a valid document costs no bookkeeping.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

try:  # libyaml is several times faster; the pure-Python parser gives the same nodes
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader

Location = tuple[int, int]  # 1-based line and column
KeyPath = tuple[Any, ...]
MAX_NODES = 50_000  # far above any real entry; stops alias bombs ("billion laughs")

_constructor = yaml.constructor.SafeConstructor()
_STR_TAG = "tag:yaml.org,2002:str"


class YamlProblem(Exception):
    """YAML that cannot be parsed, or that breaks a rule the editor can fix."""

    def __init__(self, line: int, col: int, message: str):
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


class Positions:
    """Where the values (and mapping keys) of a parsed document start.

    Only the text is kept: the node tree is rebuilt the first time a position is asked
    for, so valid documents (the common case) hold no nodes in memory.
    """

    def __init__(self, text: str = "", line_offset: int = 0, root: yaml.Node | None = None):
        self.text = text
        self.line_offset = line_offset
        self._root = root

    @property
    def root(self) -> yaml.Node | None:
        if self._root is None and self.text:
            self._root = yaml.compose(self.text, Loader=_Loader)
        return self._root

    def __getstate__(self):
        return {"text": self.text, "line_offset": self.line_offset, "_root": None}

    def _where(self, node: yaml.Node) -> Location:
        return node.start_mark.line + 1 + self.line_offset, node.start_mark.column + 1

    def of(self, path: KeyPath, *, key: bool = False) -> Location:
        """The position of the value at ``path`` (of its key, with ``key=True``), or the
        closest parent that exists."""
        node = self.root
        if node is None:
            return 1 + self.line_offset, 1
        found = self._where(node)
        for index, part in enumerate(path):
            last = index == len(path) - 1
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
                if match is None:
                    return found
                key_node, node = match
                found = self._where(key_node if (last and key) else node)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                found = self._where(node)
            else:
                return found
        return found


def load_with_positions(text: str, line_offset: int = 0) -> tuple[Any, Positions]:
    """Parse one YAML document; lines are shifted by ``line_offset`` (front matter)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        line, col, message = explain_syntax_error(text, error)
        raise YamlProblem(line + line_offset, col, message) from None
    except yaml.YAMLError as error:
        raise YamlProblem(line_offset + 1, 1, f"invalid YAML: {error}") from None
    positions = Positions(text, line_offset, root=node)
    if node is None:
        return None, positions
    data = _Converter(positions).convert(node)
    positions._root = None  # dropped: rebuilt from the text if a message needs a position
    return data, positions


class _Converter:
    def __init__(self, positions: Positions):
        self.positions = positions
        self.budget = MAX_NODES

    def fail(self, node: yaml.Node, message: str) -> YamlProblem:
        line, col = self.positions._where(node)
        return YamlProblem(line, col, message)

    def convert(self, node: yaml.Node) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise self.fail(node, f"the document expands to more than {MAX_NODES} values: remove repeated aliases")
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR_TAG:
                return node.value  # most values are plain text: skip the constructor's machinery
            try:
                return _constructor.construct_object(node)
            except yaml.constructor.ConstructorError as error:
                raise self.fail(node, f"invalid YAML value: {error.problem}") from None
            except ValueError:  # an impossible date such as 2022-13-45: the schema reports it
                return node.value
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item) for item in node.value]
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "a mapping key must be a plain value, not a list or mapping")
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, "YAML merge keys ('<<') are not supported: write the fields out")
            key = key_node.value
            if key in result:
                raise self.fail(key_node, f"duplicate key '{key}' (first defined on line {first_line[key]}): keep one of them")
            first_line[key] = self.positions._where(key_node)[0]
            result[key] = self.convert(value_node)
        return result


_INDICATORS_THAT_CANNOT_START_A_VALUE = "@`%"


def explain_syntax_error(text: str, error: yaml.MarkedYAMLError) -> tuple[int, int, str]:
    """Where a syntax error really is (1-based line and column in ``text``) and what an editor
    should do about it. The parser's own words differ between libyaml and the pure-Python
    parser and name the grammar, not the mistake: the usual mistakes are recognised from the
    text around the error instead, and the parser's words are kept for the rest."""
    mark = error.problem_mark or error.context_mark
    if mark is None:
        return 1, 1, f"invalid YAML: {error.problem or error}"
    lines = text.split("\n")
    line, col = mark.line + 1, mark.column + 1
    current = lines[mark.line] if mark.line < len(lines) else ""
    context = error.context or ""
    started = error.context_mark
    indent = current[: len(current) - len(current.lstrip(" \t"))]

    if "\t" in indent:
        return line, indent.index("\t") + 1, "invalid YAML: a tab in the indentation: YAML forbids tabs for indentation: use spaces"
    if "quoted scalar" in context and started is not None:
        return (started.line + 1, started.column + 1,
                f"invalid YAML: the quote {lines[started.line][started.column]} opened here is never closed: close it at the "
                "end of the value (a value that holds this quote goes inside the other kind of quotes)")
    if "flow sequence" in context or "flow mapping" in context:
        where = started or mark
        opening, closing = ("[", "]") if "sequence" in context else ("{", "}")
        return (where.line + 1, where.column + 1,
                f"invalid YAML: the '{opening}' opened here is never closed: close it with '{closing}', "
                "or wrap the value in quotes if the bracket is part of the text")
    if mark.column < len(current) and current[mark.column] == "\t":
        return line, col, "invalid YAML: a tab where YAML expects a value or a field: YAML forbids tabs for indentation: use spaces"
    if mark.column < len(current) and current[mark.column] in _INDICATORS_THAT_CANNOT_START_A_VALUE:
        character = current[mark.column]
        return line, col, f"invalid YAML: a value cannot start with '{character}': wrap the value in quotes"
    problem = error.problem or ""
    if "mapping values are not allowed" in problem:
        before = current[: mark.column]
        if _FIELD_START.match(before) and ": " in before[len(indent):] + " ":
            field = before[len(indent):].removeprefix("- ").split(":", 1)[0]
            return (line, col, f"invalid YAML: the value of '{field}' contains ': ', which YAML reads as the start of "
                               "another field: wrap the value in quotes")
        above = _line_above(lines, mark.line)
        if above is not None and ":" not in lines[above] and not lines[above].lstrip().startswith("-"):
            return (above + 1, len(lines[above]) - len(lines[above].lstrip()) + 1,
                    "invalid YAML: this line has no ':' after its field name: write 'name: value'")
        return (line, len(indent) + 1,
                "invalid YAML: bad indentation: this field is indented further than the field above it; the fields of "
                "one mapping start in the same column (indent with spaces)")
    if "expected key" in problem or "<block end>" in problem or "'-' indicator" in problem:
        before = current[: mark.column].rstrip()
        if before[len(indent):] and before.endswith(("'", '"')):
            return line, col, "invalid YAML: text after the closing quote: put the whole value inside the quotes"
        return (line, col, "invalid YAML: bad indentation: the fields of one mapping (and the items of one list) start "
                           "in the same column, and a nested field is indented further than its parent (with spaces)")
    message = f"{context}, {problem}" if context else problem or str(error)
    if started is not None and started.line != mark.line:
        message += f" (the construct started on line {started.line + 1})"
    return line, col, f"invalid YAML: {message}"


_FIELD_START = re.compile(r"^\s*(- )?[^\s:#'\"\[{][^:]*:\s")


def _line_above(lines: list[str], index: int) -> int | None:
    """The index of the nearest line above ``index`` that holds something other than a comment."""
    for above in range(index - 1, -1, -1):
        stripped = lines[above].strip()
        if stripped and not stripped.startswith("#") and stripped != "---":
            return above
    return None
