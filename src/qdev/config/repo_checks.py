"""Checks of a valid configuration against the repo on disk: where its paths lead, what they are.

The models refuse a path that is absolute or climbs out with `..`; here the files themselves are
looked at: a symbolic link that leads out of the repo, a folder where a file is wanted, a file
where a folder is wanted. Loading does the checks that hold for every command; `qdev config
validate` (complete=True) also wants the files that a release or a check will open to exist,
and reads the `[project]` facts of pyproject.toml that releases rely on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from qdev.config._locate import KeyPath
    from qdev.config.models import QdevConfig

Wanted = Literal["file", "folder"]


def path_problems(config: QdevConfig, root: Path, *, complete: bool) -> list[tuple[KeyPath, str]]:
    """(key path, what was expected) of every configured path that cannot be used."""
    wanted: list[tuple[KeyPath, str, Wanted, bool]] = []
    if config.release.changelog:  # a changelog that does not exist yet is created
        wanted.append((("release", "changelog"), config.release.changelog, "file", False))
    for index, name in enumerate(config.release.version_files):
        wanted.append((("release", "version_files", index), name, "file", complete))
    for step, custom in config.check.custom.items():
        wanted.append((("check", "custom", step, "cwd"), custom.cwd, "folder", complete))
    problems = []
    for loc, text, kind, must_exist in wanted:
        problem = _path_problem(root, text, kind, must_exist=must_exist)
        if problem is not None:
            problems.append((loc, problem))
    return problems


def _path_problem(root: Path, text: str, kind: Wanted, *, must_exist: bool) -> str | None:
    from qdev.config.problems import render_value

    shown = render_value(text)
    try:
        top = root.resolve()
        target = (top / text).resolve()
        if not target.is_relative_to(top):
            return f"a {kind} inside the repo, but {shown} leads out of it (a symbolic link?)"
        exists = target.exists()
        is_dir = target.is_dir()
    except OSError as exc:
        return f"a {kind} that can be read, but {shown}: {exc.strerror or exc}"
    if not exists:
        return f"an existing {kind}, but {shown} does not exist" if must_exist else None
    if kind == "folder" and not is_dir:
        return f"a folder, but {shown} is a file"
    if kind == "file" and is_dir:
        return f"a file, but {shown} is a folder"
    return None


def project_table_problems(pyproject: Path) -> list[str]:
    """What a release would stumble on in pyproject.toml's [project] name and version."""
    from qdev.config._locate import locate_keys
    from qdev.config.layers import display_path, read_toml

    if not pyproject.is_file():
        return []
    data, text = read_toml(pyproject)
    project = data.get("project")
    if not isinstance(project, dict):
        return []
    positions = locate_keys(text)
    problems = []
    for key, problem in _project_fields(project):
        line, column = positions.get(("project", key), positions.get(("project",), (1, 1)))
        problems.append(f"{display_path(pyproject)}:{line}:{column}: project.{key}: {problem}")
    return problems


def _project_fields(project: dict[str, object]) -> list[tuple[str, str]]:
    from qdev.config import rules
    from qdev.config.problems import render_value

    problems = []
    name = project.get("name")
    if "name" in project and (not isinstance(name, str) or rules.distribution_name(name)):
        problems.append(("name", f"expected a package name, got {render_value(name)}"))
    version = project.get("version")
    if "version" in project and not _is_version(version):
        problems.append(
            (
                "version",
                f'expected a version like "0.1.0" (PEP 440), got {render_value(version)}; '
                'or drop it and list "version" in dynamic to take it from tags',
            )
        )
    return problems


def _is_version(value: object) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        Version(str(value))
    except InvalidVersion:
        return False
    return isinstance(value, str)
