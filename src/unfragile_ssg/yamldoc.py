"""YAML parsing that can say where every key and value came from.

Validation messages must point at ``path:line:col``. The loader keeps PyYAML's node tree
beside the data, and ``Positions.of`` walks it only when a message needs a position, so
a valid document costs no bookkeeping.
"""

from __future__ import annotations

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
        mark = error.problem_mark or error.context_mark
        line = (mark.line + 1 + line_offset) if mark else line_offset + 1
        col = (mark.column + 1) if mark else 1
        problem = error.problem or str(error)
        if error.context:
            problem = f"{error.context}, {problem}"
        if error.context_mark and mark and error.context_mark.line != mark.line:
            problem += f" (the construct started on line {error.context_mark.line + 1 + line_offset})"
        raise YamlProblem(line, col, f"invalid YAML: {problem}") from None
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
