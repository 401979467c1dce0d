"""Pydantic validation errors turned into sentences a user can act on.

Each error becomes a key path and "expected X, got Y", where X is read from the model field
(type, choices, range) so that the wording is the same for every field, and unknown keys get a
"did you mean" suggestion from the names the model allows at that place.
"""

from __future__ import annotations

import difflib
import enum
import json
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from qdev.config._locate import KeyPath


class LocatedValueError(ValueError):
    """A validator's complaint about a key below the validated model, e.g. ("steps", 2)."""

    def __init__(self, loc: KeyPath, message: str) -> None:
        super().__init__(message)
        self.loc = loc


@dataclass(frozen=True)
class Problem:
    loc: KeyPath
    message: str


def problems_of(exc: ValidationError, model: type[BaseModel]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[KeyPath] = set()
    for error in exc.errors():
        problem = explain(dict(error), model)
        if problem.loc not in seen:  # a union reports one error per member: keep the first
            seen.add(problem.loc)
            problems.append(problem)
    return problems


def explain(error: dict[str, Any], model: type[BaseModel]) -> Problem:
    loc = _without_union_tags(model, tuple(error["loc"]))
    kind = error["type"]
    if kind == "extra_forbidden":
        return Problem(loc, unknown_key(str(loc[-1]), field_names(model, loc[:-1])))
    if kind == "missing":
        expected = expectation(model, loc)
        return Problem(loc, f"required key is missing; expected {expected or 'a value'}")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, LocatedValueError):
        return Problem((*loc, *cause.loc), f"expected {cause}")
    if kind in ("value_error", "assertion_error") and isinstance(cause, Exception):
        return Problem(loc, f"expected {cause}")
    expected = expectation(model, loc)
    got = render_value(error.get("input"))
    if expected:
        return Problem(loc, f"expected {expected}, got {got}")
    message = str(error["msg"])
    return Problem(loc, f"{message[:1].lower()}{message[1:]}, got {got}")


def _without_union_tags(model: type[BaseModel], loc: KeyPath) -> KeyPath:
    """pydantic names the union member it tried, e.g. ("either", "int"): that is no key."""
    kept: KeyPath = ()
    for part in loc:
        node = node_at(model, kept)
        if node is None or typing.get_origin(node[0]) not in (typing.Union, types.UnionType):
            kept = (*kept, part)
    return kept


def unknown_key(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f'unknown key "{key}"; did you mean "{close[0]}"?'
    if allowed:
        return f'unknown key "{key}"; expected one of: {", ".join(allowed)}'
    return f'unknown key "{key}"'


def render_value(value: object) -> str:
    """A value as it would look in TOML, shortened."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    text = json.dumps(value, ensure_ascii=False, default=str)  # TOML data: no cycles
    return text if len(text) <= 60 else text[:57] + "..."


# -- reading the models -------------------------------------------------------------------------


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """Strip Annotated[...] and `X | None` down to X, collecting constraints."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            for item in extra:
                metadata = [*metadata, *(item.metadata if isinstance(item, FieldInfo) else [item])]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation, metadata
            annotation = members[0]
        else:
            return annotation, metadata


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def node_at(model: type[BaseModel], loc: KeyPath) -> tuple[Any, list[Any]] | None:
    """The annotation and constraints of the field at `loc`, or None if there is none."""
    annotation: Any = model
    metadata: list[Any] = []
    for part in loc:
        annotation, metadata = _unwrap(annotation, metadata)
        origin = typing.get_origin(annotation)
        if _is_model(annotation):
            info = annotation.model_fields.get(part)
            if info is None:
                return None
            annotation, metadata = info.annotation, list(info.metadata)
        elif origin is dict:
            annotation, metadata = typing.get_args(annotation)[1], []
        elif origin is list and isinstance(part, int):
            annotation, metadata = typing.get_args(annotation)[0], []
        else:
            return None
    return _unwrap(annotation, metadata)


def field_names(model: type[BaseModel], loc: KeyPath) -> list[str]:
    node = node_at(model, loc)
    if node is None or not _is_model(node[0]):
        return []
    return list(node[0].model_fields)


def expectation(model: type[BaseModel], loc: KeyPath) -> str | None:
    node = node_at(model, loc)
    return None if node is None else describe(*node)


def describe(annotation: Any, metadata: list[Any]) -> str | None:
    """ "a number from 0 to 100", "one of "semver", "calver"", "a list of strings"..."""
    annotation, metadata = _unwrap(annotation, metadata)
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "a whole number" + _bounds(metadata)
    if annotation is float:
        return "a number" + _bounds(metadata)
    if annotation is str:
        return "a string"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _one_of([member.value for member in annotation])
    if origin is typing.Literal:
        return _one_of(list(typing.get_args(annotation)))
    if origin is list:
        item = describe(typing.get_args(annotation)[0], [])
        plural = {"a string": "strings"}.get(item or "", "values")
        return f"a list of {plural}" + _min_items(metadata)
    if origin is dict:
        item = describe(typing.get_args(annotation)[1], [])
        return "a table of strings" if item == "a string" else "a table"
    if _is_model(annotation):
        return "a table"
    members = [describe(arg, []) for arg in typing.get_args(annotation)]
    return " or ".join(m for m in members if m) or None


def _one_of(values: list[Any]) -> str:
    return "one of " + ", ".join(render_value(value) for value in values)


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _constraints(metadata: list[Any]) -> Iterator[tuple[str, object]]:
    for item in metadata:
        for name in ("ge", "gt", "le", "lt", "min_length"):
            value = getattr(item, name, None)
            if value is not None and isinstance(item, annotated_types.BaseMetadata):
                yield name, value


def _bounds(metadata: list[Any]) -> str:
    limits = dict(_constraints(metadata))
    low, high = limits.get("ge"), limits.get("le")
    if low is not None and high is not None:
        return f" from {_number(low)} to {_number(high)}"
    parts = []
    if low is not None:
        parts.append(f"at least {_number(low)}")
    if "gt" in limits:
        parts.append(f"greater than {_number(limits['gt'])}")
    if high is not None:
        parts.append(f"at most {_number(high)}")
    if "lt" in limits:
        parts.append(f"less than {_number(limits['lt'])}")
    return (" " + " and ".join(parts)) if parts else ""


def _min_items(metadata: list[Any]) -> str:
    least = dict(_constraints(metadata)).get("min_length")
    return f" with at least {least} item{'s' if least != 1 else ''}" if least else ""
