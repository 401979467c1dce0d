"""Where the version lives, from the repo's facts, and every file's text with it bumped.

The version source is what `qdev.project.facts` found: a static `[project].version` or
`[tool.poetry].version`, a `version` in setup.cfg or setup.py, a module's `__version__` (hatch,
setuptools or flit reading it), or git tags (setuptools_scm, hatch-vcs, versioneer,
poetry-dynamic-versioning, pdm-scm), for which the release writes no version file: it only
tags. Every file holding the literal version (pyproject, a module's `__version__`, setup.py,
setup.cfg) is bumped together, so none is left stale.

pyproject.toml is edited with tomlkit, so the file keeps every comment, order and quote style and
only the version string changes. Other files have the version on a line that mentions "version"
(`__version__ = "1.2.3"`, `VERSION = '1.2.3'`, `version = 1.2.3`, `version="1.2.3",`...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import String, StringType

from qdev.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from qdev.project.facts import RepoFacts


@dataclass(frozen=True)
class ProjectVersion:
    name: str
    version: str | None
    """The literal version the files hold, or None when it is taken from git tags."""
    kind: str = "static"
    """Where it lives: a `qdev.project.facts.VersionKind` value."""
    files: tuple[str, ...] = ("pyproject.toml",)
    """Project-relative files holding the literal version, all bumped together."""

    @property
    def from_tags(self) -> bool:
        return self.version is None


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"{path} does not exist", fix="run qdev release inside the project"
        ) from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text", fix="save it as UTF-8") from None


def read_project(root: Path, facts: RepoFacts | None = None) -> ProjectVersion:
    """The project's name and where its version lives, from its facts (read here if not given)."""
    from qdev.project.facts import VersionKind, read_facts

    facts = facts or read_facts(root)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            tomlkit.parse(_read_text(pyproject))
        except TOMLKitError as exc:
            raise ConfigError([f"{pyproject}: {exc}"], fix="fix the TOML syntax") from None
    if not facts.name:
        raise ConfigError(
            [
                f"{root}: no project name in pyproject.toml ([project] or [tool.poetry]), "
                "setup.cfg or setup.py"
            ],
            fix="add [project] name = ... to pyproject.toml",
        )
    source = facts.version
    if source.from_tags:
        return ProjectVersion(facts.name, None, source.kind.value, ())
    if source.value is None or source.kind == VersionKind.UNKNOWN:
        raise ConfigError(
            [
                f"{root}: cannot tell where the version of {facts.name} lives "
                f"({_what_was_seen(source.kind.value)})"
            ],
            fix='add version = "0.1.0" to [project], or dynamic = ["version"] with a tool that '
            "takes it from git tags (hatch-vcs, setuptools_scm)",
        )
    files = source.files or ("pyproject.toml",)
    return ProjectVersion(facts.name, source.value, source.kind.value, files)


def _what_was_seen(kind: str) -> str:
    if kind == "module":
        return "a module's __version__ that is not a plain string"
    return "no version in [project], [tool.poetry], setup.cfg or setup.py, and no tag-based tool"


def set_pyproject_version(text: str, new: str, table: tuple[str, ...] = ("project",)) -> str:
    """`text` with only the version of `table` ([project], or ("tool", "poetry")) changed."""
    doc = tomlkit.parse(text)
    section: object = doc
    for key in table:
        assert isinstance(section, dict)
        section = section[key]
    assert isinstance(section, dict)
    old = section.get("version")
    literal = isinstance(old, String) and old.type in (StringType.SLL, StringType.MLL)
    replacement = tomlkit.string(new, literal=literal)
    if isinstance(old, String):
        replacement.trivia.comment_ws = old.trivia.comment_ws
        replacement.trivia.comment = old.trivia.comment
    section["version"] = replacement
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


def set_module_version(text: str, new: str, *, path: str) -> str:
    """`text` (a Python module) with its literal `__version__` (or `VERSION`) set to `new`,
    whatever it held: a stale hard-coded version is bumped with the rest."""
    from qdev.project.facts import VERSION_LITERAL

    match = VERSION_LITERAL.search(text)
    if match is None:
        raise UsageError(
            f'{path}: no line such as __version__ = "1.2.3"',
            fix="give it one, or drop it from release.version_files",
        )
    return text[: match.start("version")] + new + text[match.end("version") :]


def planned_edits(
    root: Path, project: ProjectVersion, new: str, extra_files: list[str]
) -> dict[str, tuple[str, str]]:
    """{project-relative path: (current text, new text)} of every file holding the version,
    computed in memory; nothing for a version taken from tags."""
    edits: dict[str, tuple[str, str]] = {}
    if project.version is None:
        return edits
    for name in [*project.files, *(f for f in extra_files if f not in project.files)]:
        text = _read_text(root / name)
        edits[name] = (text, _bumped(text, name, project, new))
    return edits


def _bumped(text: str, name: str, project: ProjectVersion, new: str) -> str:
    assert project.version is not None
    if name == "pyproject.toml" and project.kind in ("static", "poetry"):
        table = ("tool", "poetry") if project.kind == "poetry" else ("project",)
        return set_pyproject_version(text, new, table)
    if name.endswith(".py") and Path(name).name != "setup.py":
        from qdev.project.facts import VERSION_LITERAL

        if VERSION_LITERAL.search(text):
            return set_module_version(text, new, path=name)
    return set_version_in_text(text, project.version, new, path=name)


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
