"""Where the version lives: `[project].version` in pyproject.toml, plus any files the config names.

pyproject.toml is edited with tomlkit, so the file keeps every comment, order and quote style and
only the version string changes. Other files have the version on a line that mentions "version"
(`__version__ = "1.2.3"`, `VERSION = '1.2.3'`, `version: 1.2.3`...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import String, StringType

from qdev.errors import ConfigError, UsageError


@dataclass(frozen=True)
class ProjectVersion:
    name: str
    version: str | None
    """The static `[project].version`, or None when the version is dynamic (taken from tags)."""


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"{path} does not exist", fix="run qdev release inside the project"
        ) from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text", fix="save it as UTF-8") from None


def read_project(root: Path) -> ProjectVersion:
    path = root / "pyproject.toml"
    try:
        doc = tomlkit.parse(_read_text(path))
    except TOMLKitError as exc:
        raise ConfigError([f"{path}: {exc}"], fix="fix the TOML syntax") from None
    project = doc.get("project")
    if not isinstance(project, dict) or "name" not in project:
        raise ConfigError(
            [f"{path}: no [project] table with a name"], fix="add [project] name = ..."
        )
    dynamic = [str(item) for item in project.get("dynamic", [])]
    version = project.get("version")
    if version is None and "version" not in dynamic:
        raise ConfigError(
            [f"{path}: [project] has no version and does not list it in dynamic"],
            fix='add version = "0.1.0" to [project], or dynamic = ["version"] to take it from tags',
        )
    return ProjectVersion(str(project["name"]), None if version is None else str(version))


def set_pyproject_version(text: str, new: str) -> str:
    """`text` with only `[project].version` changed."""
    doc = tomlkit.parse(text)
    project = doc["project"]
    assert isinstance(project, dict)
    old = project.get("version")
    literal = isinstance(old, String) and old.type in (StringType.SLL, StringType.MLL)
    replacement = tomlkit.string(new, literal=literal)
    if isinstance(old, String):
        replacement.trivia.comment_ws = old.trivia.comment_ws
        replacement.trivia.comment = old.trivia.comment
    project["version"] = replacement
    return tomlkit.dumps(doc)


_ASSIGNMENT = r"(?P<head>^[^\n]*version[^\n]*?[=:][ \t]*[\"']?){old}(?P<tail>[\"']?)"


def set_version_in_text(text: str, old: str, new: str, *, path: str) -> str:
    """`text` with `old` replaced by `new` on every line that assigns a version."""
    pattern = re.compile(_ASSIGNMENT.format(old=re.escape(old)), re.MULTILINE | re.IGNORECASE)
    changed, count = pattern.subn(lambda m: f"{m.group('head')}{new}{m.group('tail')}", text)
    if count == 0:
        raise UsageError(
            f"{path}: no line sets the version to {old}",
            fix=f'make it hold a line such as __version__ = "{old}", or drop it from '
            "release.version_files",
        )
    return changed


def planned_edits(
    root: Path, project: ProjectVersion, new: str, extra_files: list[str]
) -> dict[str, tuple[str, str]]:
    """{relative path: (current text, new text)} of every version file, computed in memory."""
    edits: dict[str, tuple[str, str]] = {}
    if project.version is not None:
        text = _read_text(root / "pyproject.toml")
        edits["pyproject.toml"] = (text, set_pyproject_version(text, new))
        for name in extra_files:
            text = _read_text(root / name)
            edits[name] = (text, set_version_in_text(text, project.version, new, path=name))
    return edits


def find_lock(project_root: Path, git_root: Path) -> Path | None:
    """The uv.lock that locks the project: beside it, or at the root of its uv workspace."""
    for folder in (project_root, *project_root.parents):
        if (folder / "uv.lock").is_file():
            return folder / "uv.lock"
        if folder == git_root:
            break
    return None


def set_lock_version(text: str, name: str, member: str, new: str) -> str | None:
    """`text` (a uv.lock) with the version of the project itself set to `new`, or None when the
    lock holds no entry for it (a dynamic version is not in the lock).

    The project's own entry is the package of that name whose source is the project's folder
    (`{ editable = "." }`, `{ virtual = "libs/demo" }`); uv writes it as three lines.
    """
    from packaging.utils import canonicalize_name

    entry = re.compile(
        r'(^\[\[package\]\]\nname = "'
        + re.escape(str(canonicalize_name(name)))
        + r'"\nversion = ")[^"\n]*("\nsource = \{ (?:editable|virtual) = "'
        + re.escape(member)
        + r'" \})',
        re.MULTILINE,
    )
    changed, count = entry.subn(lambda m: f"{m.group(1)}{new}{m.group(2)}", text, count=1)
    return changed if count else None
