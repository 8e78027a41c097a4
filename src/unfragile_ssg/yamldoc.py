"""YAML parsing that remembers where every key and value came from.

Validation messages must point at ``path:line:col``, so the loader walks PyYAML's node
tree itself and records the position of each mapping key and each value, addressed by
its path of keys and list indices (``("capabilities", 2, "name")``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # libyaml is several times faster; the pure-Python parser gives the same nodes
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader

Location = tuple[int, int]  # 1-based line and column
KeyPath = tuple[Any, ...]


@dataclass
class Positions:
    """Where each value (and each mapping key) of a parsed document starts."""

    values: dict[KeyPath, Location] = field(default_factory=dict)
    keys: dict[KeyPath, Location] = field(default_factory=dict)

    def of(self, path: KeyPath, *, key: bool = False) -> Location:
        """The closest known position for ``path``, walking up to its parents."""
        table = self.keys if key else self.values
        path = tuple(path)
        while path:
            if path in table:
                return table[path]
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (1, 1))


class YamlProblem(Exception):
    """YAML that cannot be parsed, or that breaks a rule the editor can fix."""

    def __init__(self, line: int, col: int, message: str):
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


_constructor = yaml.constructor.SafeConstructor()


MAX_NODES = 50_000  # far above any real entry; stops alias bombs ("billion laughs")


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
        raise YamlProblem(line, col, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as error:
        raise YamlProblem(line_offset + 1, 1, f"invalid YAML: {error}") from None
    positions = Positions()
    if node is None:
        return None, positions
    return _convert(node, (), positions, line_offset, [MAX_NODES]), positions


def _where(node: yaml.Node, line_offset: int) -> Location:
    return node.start_mark.line + 1 + line_offset, node.start_mark.column + 1


def _convert(node: yaml.Node, path: KeyPath, positions: Positions, line_offset: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        line, col = _where(node, line_offset)
        raise YamlProblem(line, col, f"the document expands to more than {MAX_NODES} values: remove repeated aliases")
    positions.values[path] = _where(node, line_offset)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, col = _where(key_node, line_offset)
                raise YamlProblem(line, col, "a mapping key must be a plain value, not a list or mapping")
            if key_node.tag == "tag:yaml.org,2002:merge":
                line, col = _where(key_node, line_offset)
                raise YamlProblem(line, col, "YAML merge keys ('<<') are not supported: write the fields out")
            key = _constructor.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                line, col = _where(key_node, line_offset)
                first = positions.keys[path + (key,)]
                raise YamlProblem(
                    line, col, f"duplicate key '{key}' (first defined on line {first[0]}): keep one of them"
                )
            positions.keys[path + (key,)] = _where(key_node, line_offset)
            result[key] = _convert(value_node, path + (key,), positions, line_offset, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), positions, line_offset, budget) for i, item in enumerate(node.value)]
    try:
        return _constructor.construct_object(node)
    except yaml.constructor.ConstructorError as error:
        line, col = _where(node, line_offset)
        raise YamlProblem(line, col, f"invalid YAML value: {error.problem}") from None
