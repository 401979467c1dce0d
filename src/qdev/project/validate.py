"""pyproject.toml checked against its standards (PEP 517/518/621/735 and the build tools' own
tables) by validate-pyproject, with the problem named by file, line and key.

`qdev init` checks the repo's pyproject.toml before it writes anything (a `name = 5` is refused
with the folder as it was) and checks the adopted one before it keeps it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from qdev.errors import UsageError

_INDEX = re.compile(r"\[(\d+)\]")


def problem(text: str) -> tuple[str, str] | None:
    """(dotted key, message) of the first problem in a pyproject.toml's text, or None."""
    from validate_pyproject import api, errors

    data: dict[str, Any] = tomllib.loads(text)
    try:
        api.Validator()(data)
    except errors.ValidationError as exc:
        key = str(exc.name).strip("`").removeprefix("data.")
        summary = str(exc.summary).splitlines()[0].rstrip(":")
        return key, summary
    return None


def require_valid(path: Path, *, then: str) -> None:
    """Refuse (exit 2) when `path` breaks its standards; `then` says what to run after the fix."""
    text = path.read_text(encoding="utf-8")
    found = problem(text)
    if found is None:
        return
    key, summary = found
    line, column = _position(text, key)
    raise UsageError(
        f"{path}:{line}:{column}: {key}: {summary} (validate-pyproject)",
        fix=f"fix {key} in {path.name}, then {then}",
    )


def _position(text: str, key: str) -> tuple[int, int]:
    from qdev.config._locate import locate_keys

    found = locate_keys(text)
    parts: list[str | int] = []
    for piece in key.split("."):
        name, *indexes = _INDEX.split(piece)
        parts.append(name)
        parts += [int(i) for i in indexes if i]
    for end in range(len(parts), 0, -1):
        where = found.get(tuple(parts[:end]))
        if where is not None:
            return where
    return 1, 1
