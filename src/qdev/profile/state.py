"""The repo's record of what its profile rendered: `.qdev/state.toml`, committed with the repo.

For each file the profile rendered it keeps the hash of the rendered template and, when qdev
wrote the file, the hash of what it wrote. A later `qdev sync` compares them with the file on
disk (the user's edits) and with a new rendering (the profile's changes). No timestamps: running
`qdev init` twice must leave the file byte-identical.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit

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


@dataclass
class ProfileState:
    profile: str
    version: str
    source: str
    files: dict[str, FileRecord] = field(default_factory=dict)


def dumps(state: ProfileState) -> str:
    doc = tomlkit.document()
    doc.add("profile", state.profile)
    doc.add("version", state.version)
    doc.add("source", state.source)
    files = tomlkit.table()
    for path in sorted(state.files):
        record = state.files[path]
        entry = tomlkit.inline_table()
        entry.add("template", record.template)
        if record.written is not None:
            entry.add("written", record.written)
        files.add(path, entry)
    doc.add("files", files)
    return HEADER + tomlkit.dumps(doc)


def loads(text: str, *, where: str = STATE_FILE) -> ProfileState:
    try:
        data = tomlkit.parse(text).unwrap()
        files = {
            str(path): FileRecord(str(entry["template"]), entry.get("written"))
            for path, entry in dict(data.get("files", {})).items()
        }
        return ProfileState(str(data["profile"]), str(data["version"]), str(data["source"]), files)
    except (tomlkit.exceptions.ParseError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            [f"{where}: not a qdev state file ({exc})"], fix="delete it and run `qdev init` again"
        ) from exc


def read(root: Path) -> ProfileState | None:
    path = root / STATE_FILE
    if not path.is_file():
        return None
    return loads(path.read_text(encoding="utf-8"), where=str(path))
