"""The effective configuration as TOML or JSON, optionally with the source of every value.

Credentials in URLs (an index's user:password@) are masked in both: the output is for screens,
logs and bug reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from qdev.config.layers import dotted, toml_string
from qdev.redact import mask_credentials

if TYPE_CHECKING:
    from qdev.config._locate import KeyPath
    from qdev.config.loader import LoadedConfig

_SOURCE_COLUMN = 44


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{dotted((key,))} = {toml_value(item)}" for key, item in value.items())
        return "{" + (f" {inner} " if inner else "") + "}"
    return json.dumps(str(value))


def leaves(data: Mapping[str, Any], prefix: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every value that is not a non-empty table, with its path."""
    for key, value in data.items():
        path = (*prefix, key)
        if isinstance(value, dict) and value:
            yield from leaves(value, path)
        else:
            yield path, value


def to_toml(loaded: LoadedConfig, *, sources: bool = False) -> str:
    lines: list[str] = []
    _table(loaded, (), loaded.config.model_dump(mode="json"), lines, sources)
    return mask_credentials("\n".join(lines).strip("\n") + "\n")


def _table(
    loaded: LoadedConfig, path: KeyPath, node: dict[str, Any], lines: list[str], sources: bool
) -> None:
    values = [
        (key, value) for key, value in node.items() if not (isinstance(value, dict) and value)
    ]
    tables = [(key, value) for key, value in node.items() if isinstance(value, dict) and value]
    if path and (values or not tables):
        lines += ["", f"[{dotted(path)}]"]
    for key, value in values:
        name = dotted((key,))
        line = f"# {name} is not set" if value is None else f"{name} = {toml_value(value)}"
        if sources:
            origin = loaded.source_of(dotted((*path, key)))
            line = f"{line.ljust(_SOURCE_COLUMN)}  # {origin}"
        lines.append(line)
    for key, value in tables:
        _table(loaded, (*path, key), value, lines, sources)


def to_json(loaded: LoadedConfig, *, sources: bool = False) -> str:
    config = loaded.config.model_dump(mode="json")
    if not sources:
        return mask_credentials(json.dumps(config, indent=2, ensure_ascii=False))
    where = {dotted(path): loaded.source_of(dotted(path)).to_json() for path, _ in leaves(config)}
    document = {"config": config, "sources": where}
    return mask_credentials(json.dumps(document, indent=2, ensure_ascii=False))
