"""Project names: a valid distribution name that also gives an importable package name."""

from __future__ import annotations

import keyword
import re
import sys

from qdev.errors import UsageError

# PEP 508 / the core metadata spec: letters, digits, ".", "-" and "_", starting and ending
# with a letter or digit.
DIST_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def normalize(name: str) -> str:
    """The PEP 503 normalized form: lowercase, runs of -_. become one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def package_name(name: str) -> str:
    return normalize(name).replace("-", "_")


def validate(name: str) -> tuple[str, str]:
    """The distribution name (normalized) and its package name, or a UsageError saying why not."""
    if not DIST_NAME.match(name):
        raise UsageError(
            f'"{name}" is not a valid project name: use letters, digits, "-", "_" and ".", '
            "starting and ending with a letter or digit",
            fix=f"pass --name, e.g. --name {suggest(name)}",
        )
    package = package_name(name)
    if not package.isidentifier() or keyword.iskeyword(package):
        raise UsageError(
            f'"{name}" gives the package name "{package}", which Python cannot import',
            fix=f"pass another --name, e.g. --name {suggest(name)}",
        )
    if package in sys.stdlib_module_names:
        raise UsageError(
            f'"{name}" gives the package name "{package}", which hides a standard library module',
            fix=f"pass another --name, e.g. --name {suggest(name)}",
        )
    return normalize(name), package


def suggest(name: str) -> str:
    """A name like `name` that qdev accepts: every fix it prints must itself be valid."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    cleaned = cleaned.lstrip("0123456789-")
    for candidate in (cleaned, f"{cleaned}-lib", f"{cleaned}-tools"):
        if candidate.strip("-") and _acceptable(candidate):
            return candidate
    return "my-project"


def _acceptable(name: str) -> bool:
    package = package_name(name)
    return (
        bool(DIST_NAME.match(name))
        and package.isidentifier()
        and not keyword.iskeyword(package)
        and package not in sys.stdlib_module_names
    )
