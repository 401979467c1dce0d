"""What makes a configured string usable later: the checks the models run at validation time.

Each function answers None for a good value, or what was expected (the models put it after
"expected ..."), so a value that would only fail deep inside a command (a tag git refuses, a
path outside the repo, a format that raises) is refused when the configuration is read.
"""

from __future__ import annotations

import re
import string
from datetime import date
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import urlsplit

MAX_TIMEOUT = 86_400.0
"""A day: a step that runs longer is a mistake, and larger numbers overflow the timers."""
MAX_DEPTH = 20
"""Tables and arrays inside each other; qdev's own schema needs five."""

# PEP 508 names: letters, digits, and . _ - inside.
_DISTRIBUTION_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_INDEX_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# What git check-ref-format refuses anywhere in a name.
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")
_SAMPLE_VERSION = "1.2.3rc1"


def ref_name(name: str, *, what: str) -> str | None:
    """None if git takes `name` as a branch or tag name, else what was expected."""
    expected = f"{what} git accepts (no spaces, ~ ^ : ? * [ \\ .. @{{ //)"
    if not name:
        return what
    if _REF_FORBIDDEN.search(name) or name == "@":
        return expected
    if name.startswith(("-", "/")) or name.endswith(("/", ".", ".lock")):
        return f"{what} git accepts (not starting with - or /, not ending in /, . or .lock)"
    if any(part.startswith(".") or part.endswith(".lock") for part in name.split("/")):
        return f"{what} git accepts (no part starting with . or ending in .lock)"
    return None


def branch_name(name: str) -> str | None:
    if name == "HEAD":
        return "a branch name other than HEAD"
    return ref_name(name, what="a branch name")


def tag_format(fmt: str) -> str | None:
    """The format must hold {version} once, nothing else in braces, and give a valid tag."""
    hint = 'a tag format holding "{version}" once and no other braces, e.g. "v{version}"'
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(fmt)
            if name is not None
        ]
    except ValueError:
        return hint
    if fields != [("version", "", None)] or "{{" in fmt or "}}" in fmt:
        return hint
    problem = ref_name(fmt.format(version=_SAMPLE_VERSION), what="a tag")
    return None if problem is None else f"a format that makes {problem}"


def calver_format(fmt: str) -> str | None:
    """Formatting a date with the release's own parser is the test."""
    from qdev.errors import QdevError
    from qdev.release.schemes import CalverFormat

    try:
        CalverFormat.parse(fmt).date_text(date(2024, 1, 2))
    except QdevError as exc:
        return f"a calendar format such as YYYY.0M.MICRO ({exc.fix or exc.message})"
    return None


def repo_path(text: str, *, what: str = "a path") -> str | None:
    """A relative path that stays inside the repo, written with / and no .. part."""
    if not text.strip():
        return f"{what} relative to the repo root"
    if text.startswith(("/", "~")) or PureWindowsPath(text).is_absolute() or ":" in text[:2]:
        return f"{what} relative to the repo root, not an absolute one"
    if "\\" in text:
        return f"{what} written with / (not \\)"
    if ".." in PurePosixPath(text).parts:
        return f"{what} inside the repo (without ..)"
    return None


def file_path(text: str, *, what: str = "a file path") -> str | None:
    """A repo_path that can only name a file: no trailing / and not the repo root itself."""
    problem = repo_path(text, what=what)
    if problem is None and (text.endswith("/") or PurePosixPath(text) == PurePosixPath(".")):
        return f"{what}, not a folder"
    return problem


def distribution_name(name: str) -> str | None:
    if _DISTRIBUTION_NAME.match(name):
        return None
    return "a package name of letters, digits and . _ - (not starting or ending with . _ -)"


def index_name(name: str) -> str | None:
    return None if _INDEX_NAME.match(name) else "an index name of letters, digits and . _ -"


def env_name(name: str) -> str | None:
    if _ENV_NAME.match(name):
        return None
    return "an environment variable name of letters, digits and _ (not starting with a digit)"


def index_url(url: str) -> str | None:
    """An http(s) URL with a host, or a file URL with a path."""
    expected = "an http(s) URL with a host, or a file:// URL"
    if any(char.isspace() for char in url):
        return f"{expected}, without spaces"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        return expected
    if parts.scheme in ("http", "https") and host:
        return None
    if parts.scheme == "file" and parts.path:
        return None
    return expected


def has_nul(text: str) -> bool:
    return "\x00" in text
