"""Where a team profile comes from: one built into qdev, or a local folder.

A profile folder holds `profile.toml` (its name and version), `qdev.toml` (the team's base
configuration, the layer under every repo's own file) and `templates/` (the files a repo gets:
`common/` for every kind, then one folder per kind and one per CI provider).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from qdev.errors import UsageError

BUILTIN_DIR = Path(__file__).parent / "builtin"
DEFAULT_NAME = "default"
PROFILE_FILE = "profile.toml"
CONFIG_FILE = "qdev.toml"
TEMPLATES_DIR = "templates"


class ProfileError(UsageError):
    """A profile that cannot be used: missing folder, missing or broken profile.toml."""


@dataclass(frozen=True)
class Profile:
    name: str
    version: str
    root: Path
    builtin: bool
    variables: dict[str, str] = field(default_factory=dict)
    """Extra placeholders from profile.toml's [variables] table."""

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def templates(self) -> Path:
        return self.root / TEMPLATES_DIR

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}" + (
            " (built-in)" if self.builtin else f" ({self.root})"
        )


def builtin_names() -> list[str]:
    return sorted(p.name for p in BUILTIN_DIR.iterdir() if (p / PROFILE_FILE).is_file())


def builtin_path(name: str = DEFAULT_NAME) -> Path:
    """The folder of the built-in profile `name`; the config loader reads its qdev.toml."""
    path = BUILTIN_DIR / name
    if not (path / PROFILE_FILE).is_file():
        raise ProfileError(
            f'there is no built-in profile "{name}"',
            fix=f"use one of: {', '.join(builtin_names())}, or --profile FOLDER",
        )
    return path


def builtin(name: str = DEFAULT_NAME) -> Profile:
    return _read(builtin_path(name), builtin=True)


def from_folder(folder: Path) -> Profile:
    folder = folder.expanduser()
    if not folder.exists():
        raise ProfileError(
            f"profile folder {folder} does not exist", fix="check the --profile path"
        )
    if not folder.is_dir():
        raise ProfileError(
            f"profile folder {folder} is not a folder", fix="check the --profile path"
        )
    if not (folder / PROFILE_FILE).is_file():
        raise ProfileError(
            f"{folder} is not a qdev profile: it has no {PROFILE_FILE}",
            fix=f'add {folder / PROFILE_FILE} with name = "..." and version = "..."',
        )
    return _read(folder.resolve(), builtin=False)


def _read(folder: Path, *, builtin: bool) -> Profile:
    path = folder / PROFILE_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: cannot be read: {exc}") from exc
    problems = [
        f'{path}: {key} must be a non-empty string, e.g. {key} = "{example}"'
        for key, example in (("name", "team"), ("version", "1.0.0"))
        if not isinstance(data.get(key), str) or not data[key]
    ]
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        problems.append(f'{path}: [variables] must map names to strings, e.g. uv_image = "..."')
    if problems:
        raise ProfileError("\n".join(problems))
    if not (folder / TEMPLATES_DIR / "common").is_dir():
        raise ProfileError(
            f"{folder} has no {TEMPLATES_DIR}/common folder",
            fix=f"a profile keeps the files every repo gets in {folder / TEMPLATES_DIR / 'common'}",
        )
    return Profile(str(data["name"]), str(data["version"]), folder, builtin, dict(variables))
