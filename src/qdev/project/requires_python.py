"""From a project's `requires-python` to the Python minor versions it supports.

Adoption takes a repo's Python versions, its CI matrix and ruff's target from here: never the
team's newest Python when the project still promises an older one to its users. Poetry's own
constraint syntax (`^3.9`, `~3.10`, `>=3.9 || ^4`) is read too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from packaging.specifiers import InvalidSpecifier, SpecifierSet

OLDEST_MINOR = 6
"""The oldest Python 3 minor a repo may still declare and qdev will list."""

_CARET = re.compile(r"^\^\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$")
_TILDE = re.compile(r"^~\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$")
_BARE = re.compile(r"^(\d+)\.(\d+)(?:\.(\*|\d+))?$")


def specifier(text: str) -> SpecifierSet | None:
    """A PEP 440 specifier for `text` (PEP 440 or Poetry syntax), None when it is neither."""
    alternatives = [part.strip() for part in text.split("||")]
    if len(alternatives) > 1:
        # An "or" of ranges: a SpecifierSet cannot say it; the lowest range's floor is what
        # decides the versions a project supports in practice.
        parsed = [specifier(part) for part in alternatives]
        if any(part is None for part in parsed):
            return None
        return min((p for p in parsed if p is not None), key=_floor_key)
    parts = [part.strip() for part in text.replace(",", " ").split() if part.strip()]
    pieces: list[str] = []
    for part in _rejoin_operators(parts):
        converted = _poetry_piece(part)
        if converted is None:
            return None
        pieces.append(converted)
    try:
        return SpecifierSet(",".join(pieces))
    except InvalidSpecifier:
        return None


def _rejoin_operators(parts: list[str]) -> list[str]:
    """`>= 3.9` written with a space is one piece, not two."""
    joined: list[str] = []
    for part in parts:
        if joined and re.fullmatch(r"[<>=!~^]+", joined[-1]):
            joined[-1] += part
        else:
            joined.append(part)
    return joined


def _poetry_piece(part: str) -> str | None:
    if part == "*":
        return ""
    if caret := _CARET.match(part):
        major, minor, patch = (int(g) if g else None for g in caret.groups())
        floor = ".".join(str(n) for n in (major, minor, patch) if n is not None)
        assert major is not None
        ceiling = f"{major + 1}.0" if major else f"0.{(minor or 0) + 1}"
        return f">={floor},<{ceiling}"
    if tilde := _TILDE.match(part):
        major, minor, patch = (int(g) if g else None for g in tilde.groups())
        floor = ".".join(str(n) for n in (major, minor, patch) if n is not None)
        ceiling = f"{major}.{(minor or 0) + 1}" if minor is not None else f"{(major or 0) + 1}.0"
        return f">={floor},<{ceiling}"
    if _BARE.match(part):
        return f"=={part}"
    return part if re.match(r"^(===|==|!=|<=|>=|~=|<|>)", part) else None


def _floor_key(spec: SpecifierSet) -> tuple[int, int]:
    minors = supported_minors(spec, newest="3.99")
    if not minors:
        return (99, 99)
    major, minor = minors[0].split(".")
    return (int(major), int(minor))


def supported_minors(requires: str | SpecifierSet | None, *, newest: str) -> list[str]:
    """Python 3 minors from the oldest `requires` admits up to `newest`, oldest first.

    A minor counts when some release of it satisfies `requires` (`>=3.9.2` admits 3.9).
    """
    spec = specifier(requires) if isinstance(requires, str) else requires
    top = int(newest.split(".")[1])
    found = []
    for minor in range(OLDEST_MINOR, top + 1):
        if spec is None or _admits_minor(spec, minor):
            found.append(f"3.{minor}")
    return found


def _admits_minor(spec: SpecifierSet, minor: int) -> bool:
    return any(spec.contains(f"3.{minor}.{patch}", prereleases=True) for patch in range(30))


def python_versions(
    requires: str | None, team: Sequence[str], *, oldest_maintained: str | None = None
) -> list[str]:
    """The minors a repo supports: those `requires` admits, capped at the team's newest.

    `team` is the team's own list (the profile's project.python): its newest is the top of
    the range. Without a readable `requires` the team's list stands as it is.
    """
    spec = specifier(requires) if requires else None
    if spec is None:
        return list(team)
    newest = max(team, key=minor_key)
    minors = supported_minors(spec, newest=newest)
    if oldest_maintained:
        kept = [m for m in minors if minor_key(m) >= minor_key(oldest_maintained)]
        minors = kept or minors
    return minors or list(team)


def minor_key(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def ruff_target(minor: str) -> str:
    """ruff's target-version for a Python minor: "3.9" -> "py39"."""
    return "py" + minor.replace(".", "")
