"""The repo's record of what its profile rendered: `.qdev/state.toml`, committed with the repo.

For each file the profile rendered it keeps the hash of the rendered template and, when qdev
wrote the file, the hash of what it wrote. A later `qdev sync` compares them with the file on
disk (the user's edits) and with a new rendering (the profile's changes). No timestamps: running
`qdev init` twice must leave the file byte-identical.

Since `qdev sync`, it also keeps what re-rendering the same files needs on any machine: the
profile's git ref and commit, the kind, the CI provider and every template variable. The base of
sync's three-way merge is that re-rendering, so it never depends on files a clone lacks. Files
written before these keys existed still load: the keys are optional.

Reading uses tomllib only (no tomlkit), so `qdev sync --check` stays fast.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qdev.errors import ConfigError

STATE_FILE = ".qdev/state.toml"
HEADER = "# Written by qdev: which profile rendered which file. Commit it; don't edit it.\n"


def sha256(data: bytes) -> str:
    """The hash as `sha256:<hex>`.

    The prefix names the algorithm, and keeps secret scanners from taking the hash for a
    high-entropy credential.
    """
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class FileRecord:
    template: str
    """sha256 of the file as the profile rendered it."""
    written: str | None = None
    """sha256 of what qdev wrote; None when the user's own file was kept."""
    deleted: bool = False
    """The repo deleted the file: `qdev sync` keeps it deleted."""
    conflict: bool = False
    """The last `qdev sync` left a conflict in the file for the user to resolve."""


@dataclass(frozen=True)
class RenderInputs:
    """Everything besides the profile itself that decides what the templates render to."""

    kind: str
    ci_provider: str
    variables: dict[str, str]


@dataclass
class ProfileState:
    profile: str
    version: str
    source: str
    """"builtin", a folder relative to the repo, or the git URL of the profile."""
    files: dict[str, FileRecord] = field(default_factory=dict)
    ref: str | None = None
    """The git ref the repo pins (tag, commit or followed branch); None for other sources."""
    commit: str | None = None
    """The commit that ref resolved to when the files were rendered."""
    inputs: RenderInputs | None = None
    """None in files written before `qdev sync` existed."""
    answers: dict[str, str] = field(default_factory=dict)
    """Profile variables this repo set itself (at a prompt or with `qdev sync --set`)."""


def dumps(state: ProfileState) -> str:
    import tomlkit

    doc = tomlkit.document()
    doc.add("profile", state.profile)
    doc.add("version", state.version)
    doc.add("source", state.source)
    for key, value in (("ref", state.ref), ("commit", state.commit)):
        if value is not None:
            doc.add(key, value)
    if state.inputs is not None:
        doc.add("kind", state.inputs.kind)
        doc.add("ci", state.inputs.ci_provider)
    if state.answers:
        doc.add("answers", _sorted_table(state.answers))
    if state.inputs is not None:
        doc.add("variables", _sorted_table(state.inputs.variables))
    files = tomlkit.table()
    for path in sorted(state.files):
        record = state.files[path]
        entry = tomlkit.inline_table()
        entry.add("template", record.template)
        if record.written is not None:
            entry.add("written", record.written)
        if record.deleted:
            entry.add("deleted", True)
        if record.conflict:
            entry.add("conflict", True)
        files.add(path, entry)
    doc.add("files", files)
    return HEADER + tomlkit.dumps(doc)


def _sorted_table(values: dict[str, str]) -> Any:
    import tomlkit

    table = tomlkit.table()
    for key in sorted(values):
        table.add(key, values[key])
    return table


def loads(text: str, *, where: str = STATE_FILE) -> ProfileState:
    try:
        data = tomllib.loads(text)
        files = {
            str(path): FileRecord(
                str(entry["template"]),
                _optional_str(entry.get("written")),
                bool(entry.get("deleted", False)),
                bool(entry.get("conflict", False)),
            )
            for path, entry in dict(data.get("files", {})).items()
        }
        inputs = None
        if "kind" in data and "variables" in data:
            inputs = RenderInputs(
                str(data["kind"]), str(data.get("ci", "github")), _strings(data["variables"])
            )
        return ProfileState(
            str(data["profile"]),
            str(data["version"]),
            str(data["source"]),
            files,
            _optional_str(data.get("ref")),
            _optional_str(data.get("commit")),
            inputs,
            _strings(data.get("answers", {})),
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ConfigError(
            [f"{where}: not a qdev state file ({exc})"], fix="delete it and run `qdev init` again"
        ) from exc


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _strings(table: object) -> dict[str, str]:
    if not isinstance(table, dict):
        raise TypeError(f"expected a table, got {table!r}")
    return {str(key): str(value) for key, value in table.items()}


def read(root: Path) -> ProfileState | None:
    path = root / STATE_FILE
    if not path.is_file():
        return None
    return loads(path.read_text(encoding="utf-8"), where=str(path))
