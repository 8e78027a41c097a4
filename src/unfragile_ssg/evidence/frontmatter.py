"""Change an entry's ``signals`` in place, keeping every other byte of the file.

A round-trip YAML library would re-flow folded text and re-quote strings; these edits touch
only the scalars whose values change and insert lines for signals that are new, found from
PyYAML's node positions. The result is parsed again and must equal the old data with exactly
the intended signals changed; otherwise the edit is refused (nothing is written).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import yaml

from ..content.load import _FENCE, split_front_matter
from ..yamldoc import YamlProblem, load_with_positions

FIELD_ORDER = ("value", "as_of", "source")
try:  # libyaml, 30 times faster here; its marks count characters as the pure-Python parser's do
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader


class EditRefused(Exception):
    pass


def update_signals(text: str, suffix: str, signals: dict[str, dict[str, Any]]) -> str:
    """``text`` (an entry file: markdown with front matter, or YAML) with each named signal set to
    the given fields (the fields it has and these are not are kept); checked by parsing it again."""
    edited = edit_signals(text, suffix, signals)
    before, after = _front_data(text, suffix), _front_data(edited, suffix)
    if after != with_signals(before, signals):
        raise EditRefused("the edit would change more than the signals")
    return edited


def with_signals(front: dict[str, Any], signals: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The front matter data an edit of ``signals`` must give: the check of the edited file."""
    merged = dict(front.get("signals") or {})
    for name, fields in signals.items():
        merged[name] = {**(merged.get(name) or {}), **fields}
    return {**front, "signals": merged}


def edit_signals(text: str, suffix: str, signals: dict[str, dict[str, Any]]) -> str:
    """The edit alone, unchecked: the caller compares the parsed result with ``with_signals``."""
    if not signals:
        return text
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text.removeprefix("\ufeff")
    if suffix == ".md":
        first = _FENCE.match(text)
        closing = _FENCE.search(text, first.end()) if first else None
        if not closing:
            raise EditRefused("the front matter cannot be found")
        head, front, tail = text[: first.end()], text[first.end(): closing.start()], text[closing.start():]
    else:
        head, front, tail = "", text, ""
    newline = "\r\n" if "\r\n" in front else "\n"
    return bom + head + _Editor(front, newline).apply(signals) + tail


class _Editor:
    def __init__(self, text: str, newline: str):
        self.text, self.newline = text, newline
        self.root = yaml.compose(text, Loader=_Loader)
        if not isinstance(self.root, yaml.MappingNode):
            raise EditRefused("the front matter is not a mapping")
        self.edits: list[tuple[int, int, str]] = []
        self.indent = _indent_unit(self.root)

    def apply(self, signals: dict[str, dict[str, Any]]) -> str:
        key, node = _lookup(self.root, "signals")
        if node is None:
            self._add_signals_key(signals)
        elif isinstance(node, yaml.MappingNode) and (node.value or not node.flow_style):
            self._update_mapping(node, signals)
        elif isinstance(node, yaml.MappingNode) or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            self._replace_empty(key, node, signals)  # 'signals: {}' or 'signals:' becomes a block
        else:
            raise EditRefused("'signals' is not a mapping")
        text = self.text
        for start, end, replacement in sorted(self.edits, reverse=True):
            text = text[:start] + replacement + text[end:]
        return text

    # signals: absent, empty, or a mapping
    def _add_signals_key(self, signals: dict[str, dict[str, Any]]) -> None:
        before, _ = _lookup(self.root, "capabilities")
        lines = ["signals:"] + self._block(signals, self.indent)
        block = self.newline.join(lines) + self.newline
        if before is not None:
            at = _line_start(self.text, before.start_mark.index)
        else:
            at = len(self.text)
            if not self.text.endswith(("\n", "\r")):
                block = self.newline + block
        self.edits.append((at, at, block))

    def _replace_empty(self, key: yaml.Node, node: yaml.Node, signals) -> None:
        colon = self.text.index(":", key.end_mark.index)
        value_end = node.end_mark.index if node.end_mark.index > colon else colon + 1
        stop = _line_end(self.text, colon)
        if value_end > stop:
            raise EditRefused("'signals' spans several lines without any signal in it")
        comment = self.text[value_end:stop].strip()
        key_col = key.start_mark.column
        lines = self._block(signals, key_col + self.indent)
        self.edits.append((colon + 1, stop, (" " + comment if comment else "") + self.newline + self.newline.join(lines)))

    def _update_mapping(self, node: yaml.MappingNode, signals) -> None:
        missing = {}
        for name, fields in signals.items():
            _, current = _lookup(node, name)
            if current is None:
                missing[name] = fields
            elif isinstance(current, yaml.MappingNode):
                self._update_fields(current, fields)
            else:
                raise EditRefused(f"signal '{name}' is not a mapping")
        if not missing:
            return
        if node.flow_style:
            if node.value:
                at = self.text.rindex("}", 0, node.end_mark.index)
                insert = "".join(f", {name}: {self._flow(fields)}" for name, fields in missing.items())
            else:
                at = node.start_mark.index + 1
                insert = ", ".join(f"{name}: {self._flow(fields)}" for name, fields in missing.items())
            self.edits.append((at, at, insert))
            return
        column = node.value[0][0].start_mark.column
        at = _line_end(self.text, _last_index(node))
        if isinstance(node.value[-1][1], yaml.MappingNode) and node.value[-1][1].flow_style:
            lines = [f"{' ' * column}{name}: {self._flow(fields)}" for name, fields in missing.items()]  # as its siblings are
        else:
            lines = self._block(missing, column)
        self.edits.append((at, at, self.newline + self.newline.join(lines)))

    def _update_fields(self, node: yaml.MappingNode, fields: dict[str, Any]) -> None:
        missing = {}
        for name in FIELD_ORDER:
            if name not in fields:
                continue
            _, current = _lookup(node, name)
            if current is None:
                missing[name] = fields[name]
            elif not isinstance(current, yaml.ScalarNode):
                raise EditRefused(f"'{name}' of a signal is not a plain value")
            elif _parsed(current) != fields[name]:
                flow = bool(node.flow_style)
                self.edits.append((current.start_mark.index, current.end_mark.index, _scalar(fields[name], flow)))
        if not missing:
            return
        if node.flow_style:
            at = self.text.rindex("}", 0, node.end_mark.index)
            self.edits.append((at, at, "".join(f", {k}: {_scalar(v, True)}" for k, v in missing.items())))
            return
        column = node.value[0][0].start_mark.column
        at = _line_end(self.text, _last_index(node))
        self.edits.append((at, at, "".join(f"{self.newline}{' ' * column}{k}: {_scalar(v, False)}" for k, v in missing.items())))

    def _block(self, signals: dict[str, dict[str, Any]], column: int) -> list[str]:
        lines = []
        for name, fields in signals.items():
            lines.append(f"{' ' * column}{name}:")
            lines += [f"{' ' * (column + self.indent)}{k}: {_scalar(fields[k], False)}" for k in FIELD_ORDER if k in fields]
        return lines

    def _flow(self, fields: dict[str, Any]) -> str:
        return "{" + ", ".join(f"{k}: {_scalar(fields[k], True)}" for k in FIELD_ORDER if k in fields) + "}"


def _lookup(node: yaml.MappingNode, key: str) -> tuple[yaml.Node | None, yaml.Node | None]:
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None, None


def _indent_unit(root: yaml.MappingNode) -> int:
    for key, value in root.value:
        if isinstance(value, yaml.MappingNode) and not value.flow_style and value.value:
            return max(1, value.value[0][0].start_mark.column - key.start_mark.column)
    return 2


def _last_index(node: yaml.Node) -> int:
    """Where the last value inside ``node`` ends (a block mapping's own end mark lies at the
    next key, past any comments between)."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.value and not node.flow_style:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        return node.end_mark.index - 1  # a block scalar ends after its last line break
    return node.end_mark.index


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """The index of the line break ending the line that ``index`` is on (before ``\\r\\n``)."""
    stop = text.find("\n", index)
    if stop == -1:
        return len(text)
    return stop - 1 if stop > 0 and text[stop - 1] == "\r" else stop


def _parsed(node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader("").construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError):
        return node.value


_PLAIN_UNSAFE_IN_FLOW = re.compile(r"[,\[\]{}]")
_PLAIN_URL = re.compile(r"^https?://[A-Za-z0-9._~/?=&%+:-]*[A-Za-z0-9/=_-]$")  # no ': ', ' #', flow indicators


def _scalar(value: Any, flow: bool) -> str:
    if isinstance(value, bool) or value is None:
        raise EditRefused(f"cannot write {value!r} as a signal field")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if _PLAIN_URL.match(text):
        return text
    plain_ok = (text == text.strip() and "\n" not in text and not (flow and _PLAIN_UNSAFE_IN_FLOW.search(text)))
    if plain_ok:
        try:
            plain_ok = yaml.safe_load(f"k: {text}") == {"k": text}
        except yaml.YAMLError:
            plain_ok = False
    return text if plain_ok else json.dumps(text)


def _front_data(text: str, suffix: str) -> Any:
    text = text.removeprefix("\ufeff")
    try:
        front = split_front_matter(text)[0] if suffix == ".md" else text
        return load_with_positions(front)[0]
    except YamlProblem as problem:
        raise EditRefused(f"the front matter does not parse ({problem.message})") from None
