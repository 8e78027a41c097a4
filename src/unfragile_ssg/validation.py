"""Turn pydantic's validation errors into ``path:line:col`` problems an editor can act on."""

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .errors import Problem, did_you_mean
from .yamldoc import Positions

LOCATED = ("located", "at_key")


def validate_model(
    model: type[BaseModel], data: Any, positions: Positions, path: str, context: dict | None = None
) -> tuple[BaseModel | None, list[Problem]]:
    """Validate ``data`` against ``model``; on failure, one problem per error, positioned."""
    try:
        return model.model_validate(data, context=context), []
    except ValidationError as error:
        return None, [_problem(model, item, positions, path) for item in error.errors(include_url=False)]


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at the mapping that holds ``loc``'s last key."""
    annotation: Any = model
    for part in loc[:-1]:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    target = _inner_model(annotation)
    return [f.alias or name for name, f in target.model_fields.items()] if target else []


def _step(annotation: Any, part: Any) -> Any:
    """The annotation of the value found under ``part`` inside a value of ``annotation``."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        for arg in get_args(annotation):
            found = _step(arg, part)
            if found is not None:
                return found
        return None
    if origin is dict:
        return get_args(annotation)[1]
    if origin in (list, tuple) and isinstance(part, int):
        return get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part) if isinstance(part, str) else None
        return field.annotation if field else None
    return None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem(model: type[BaseModel], item: dict, positions: Positions, path: str) -> Problem:
    # pydantic adds the union member or validator name to loc for some errors; drop
    # anything that is not a real key so positions and messages use the editor's path
    loc = tuple(part for part in item["loc"] if isinstance(part, int) or not str(part).startswith(("function-", "union[")))
    kind = item["type"]
    where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
    if kind == "extra_forbidden":
        name = str(loc[-1])
        line, col = positions.of(loc, key=True)
        hint = did_you_mean(name, _fields_at(model, loc))
        parent = ".".join(str(p) for p in loc[:-1] if not isinstance(p, int))
        scope = f" in '{parent}'" if parent else ""
        return Problem(path, line, col, f"unknown field '{name}'{scope}{hint}: remove it or fix its name")
    if kind in LOCATED:  # a rule across fields, reported at the field it names (config._located)
        line, col = positions.of(loc, key=kind == "at_key")
        return Problem(path, line, col, f"'{where}': {item['msg']}")
    line, col = positions.of(loc)
    if kind == "missing":
        name = str(loc[-1])
        line, col = positions.of(loc[:-1])
        parent = ".".join(str(p) for p in loc[:-1] if not isinstance(p, int))
        scope = f" in '{parent}'" if parent else ""
        return Problem(path, line, col, f"missing required field '{name}'{scope}: add it")
    message = item["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    elif kind not in ("literal_error", "enum"):
        message = message[0].lower() + message[1:]
        if "input" in item and not isinstance(item["input"], (dict, list)):
            message += f", got {_describe(item['input'])}"
    elif kind in ("literal_error", "enum"):
        expected = item.get("ctx", {}).get("expected", "")
        message = f"must be one of {expected}, got {_describe(item.get('input'))}"
        if isinstance(item.get("input"), str):
            options = [o.strip().strip("'") for o in expected.replace(" or ", ",").split(",")]
            message += did_you_mean(item["input"], [o for o in options if o])
    message += _FIXES.get(kind, "")
    return Problem(path, line, col, f"'{where}': {message}" if where else message)


_FIXES = {
    "date_from_datetime_parsing": ": write dates as YYYY-MM-DD",
    "date_parsing": ": write dates as YYYY-MM-DD",
    "date_type": ": write dates as YYYY-MM-DD",
    "list_type": ": write a list, e.g. [a, b]",
    "string_type": ": write plain text",
    "int_type": ": write a whole number",
    "int_parsing": ": write a whole number",
    "float_parsing": ": write a number",
    "dict_type": ": write a mapping of fields",
    "model_type": ": write a mapping of fields",
    "bool_parsing": ": write true or false",
    "string_too_long": ": shorten it",
    "too_long": ": remove some items",
}
