"""Merging a profile's TOML file (pyproject.toml, qdev.toml) into the one a repo already has.

tomlkit keeps the user's comments, order and formatting. Keys the repo lacks are added from the
template; keys it has are left alone (with `force`, replaced by the template's value). When the
template adds nothing, the original text comes back byte for byte.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import tomlkit
import tomlkit.exceptions

from qdev.errors import UsageError


@dataclass(frozen=True)
class TomlMerge:
    text: str
    added: tuple[str, ...]
    """Dotted keys the template added."""
    differing: tuple[str, ...]
    """Dotted keys whose value differs from the template's: kept, or replaced with force."""
    replaced: bool = False
    """Whether `force` replaced any of the differing values."""

    @property
    def changed(self) -> bool:
        return bool(self.added) or self.replaced


def merge_toml(existing: str, template: str, *, force: bool = False, where: str = "") -> TomlMerge:
    try:
        doc = tomlkit.parse(existing)
    except tomlkit.exceptions.ParseError as exc:
        raise UsageError(
            f"{where or 'TOML file'}: is not valid TOML ({exc})",
            fix="fix the file, then run qdev init again",
        ) from exc
    added: list[str] = []
    differing: list[str] = []
    _merge(doc, tomlkit.parse(template), (), force, added, differing)
    replaced = force and bool(differing)
    if not added and not replaced:
        return TomlMerge(existing, (), tuple(differing))
    return TomlMerge(tomlkit.dumps(doc), tuple(added), tuple(differing), replaced)


def _merge(
    target: MutableMapping[str, Any],
    source: MutableMapping[str, Any],
    path: tuple[str, ...],
    force: bool,
    added: list[str],
    differing: list[str],
) -> None:
    for key in list(source.keys()):
        value = source[key]
        here = (*path, key)
        if key not in target:
            target[key] = value
            added.append(_dotted(here))
        elif isinstance(target[key], dict) and isinstance(value, dict):
            _merge(target[key], value, here, force, added, differing)
        elif _plain(target[key]) != _plain(value):
            differing.append(_dotted(here))
            if force:
                target[key] = value


def _plain(value: Any) -> Any:
    return value.unwrap() if hasattr(value, "unwrap") else value


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(
        part if part.replace("-", "").replace("_", "").isalnum() else f'"{part}"' for part in path
    )
