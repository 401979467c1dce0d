"""What setup.py and setup.cfg say, read without running them.

setup.py is parsed (never executed): the keyword arguments of its `setup(...)` call whose
values are literals, and the few calls that matter (`find_packages`, versioneer,
`use_scm_version`). setup.cfg is an INI file; setuptools reads it without interpolation.
"""

from __future__ import annotations

import ast
import configparser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SetupPy:
    """The literal facts of a setup.py `setup(...)` call."""

    literals: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments whose values are Python literals (name, version, packages...)."""
    find_packages_where: str | None = None
    """`packages=find_packages("src")` or `find_namespace_packages(where="src")`."""
    uses_versioneer: bool = False
    uses_scm_version: bool = False
    text: str = ""


def read_setup_py(path: Path) -> SetupPy | None:
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return SetupPy(text="")
    call = _setup_call(tree)
    constants = _module_constants(tree)
    literals: dict[str, Any] = {}
    where: str | None = None
    scm = "setuptools_scm" in text and "use_scm_version" in text
    if call is not None:
        for keyword in call.keywords:
            if keyword.arg is None:
                continue
            if keyword.arg == "packages" and isinstance(keyword.value, ast.Call):
                where = _find_packages_where(keyword.value)
            if keyword.arg == "use_scm_version":
                scm = not (isinstance(keyword.value, ast.Constant) and not keyword.value.value)
            if isinstance(keyword.value, ast.Name) and keyword.value.id in constants:
                literals[keyword.arg] = constants[keyword.value.id]
                continue
            try:
                literals[keyword.arg] = ast.literal_eval(keyword.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
    return SetupPy(literals, where, "versioneer" in text, scm, text)


def _module_constants(tree: ast.Module) -> dict[str, Any]:
    """Module-level `NAME = <literal>` bindings (`DISTNAME = "empyrical"` ... `name=DISTNAME`),
    so a setup() keyword that names one reads as its value."""
    constants: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    constants[target.id] = ast.literal_eval(node.value)
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    constants.pop(target.id, None)
    return constants


def _setup_call(tree: ast.AST) -> ast.Call | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name == "setup":
                return node
    return None


def _find_packages_where(call: ast.Call) -> str | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if name not in ("find_packages", "find_namespace_packages"):
        return None
    candidates = [kw.value for kw in call.keywords if kw.arg == "where"] + list(call.args[:1])
    for node in candidates:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
    return "."


def read_setup_cfg(path: Path) -> configparser.ConfigParser | None:
    """setup.cfg (or tox.ini) as setuptools reads it; None when absent or unreadable."""
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    return parser


def cfg_get(cfg: configparser.ConfigParser | None, section: str, key: str) -> str | None:
    if cfg is None or not cfg.has_option(section, key):
        return None
    value = cfg.get(section, key).strip()
    return value or None


def cfg_list(value: str | None) -> list[str]:
    """A setup.cfg list: one item a line, or comma-separated."""
    if not value:
        return []
    items = value.replace(",", "\n").splitlines()
    return [item.strip() for item in items if item.strip() and not item.strip().startswith("#")]


def cfg_package_dir(cfg: configparser.ConfigParser | None) -> str | None:
    """The root folder from `package_dir = =src` (or `"" = src`), else None."""
    for line in cfg_list(cfg_get(cfg, "options", "package_dir")):
        key, _, value = line.partition("=")
        if not key.strip().strip("'\""):
            return value.strip() or None
    return None
