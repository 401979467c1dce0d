"""Where a team profile comes from: one built into qdev, a local folder, or a git repository.

A profile folder holds `profile.toml` (its name, semver version, variables, file policies and
migration notes), `qdev.toml` (the team's base configuration, the layer under every repo's own
file) and `templates/` (the files a repo gets: `common/` for every kind, then one folder per kind
and one per CI provider). A git profile is the same folder at a pinned ref, fetched once into the
user's cache (profile/cache.py).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from qdev.errors import UsageError

BUILTIN_DIR = Path(__file__).parent / "builtin"
DEFAULT_NAME = "default"
PROFILE_FILE = "profile.toml"
CONFIG_FILE = "qdev.toml"
TEMPLATES_DIR = "templates"

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


class ProfileError(UsageError):
    """A profile that cannot be used: missing folder, missing or broken profile.toml."""


class Policy(StrEnum):
    """What `qdev sync` does with a path the profile renders."""

    MANAGED = "managed"
    """The profile's file: re-rendered, local edits merged and reported as drift."""
    MERGED = "merged"
    """Shared with the repo: merged three ways; local edits are the repo's own, not drift."""
    ONCE = "once"
    """Written when the repo is made (or when the profile first adds it), never touched again."""
    IGNORED = "ignored"
    """Never rendered into a repo."""


@dataclass(frozen=True)
class GitOrigin:
    url: str
    """As the repo's qdev.toml names it."""
    ref: str
    """The tag or commit pinned, or the followed branch."""
    commit: str
    branch: bool = False
    """`ref` is a branch the repo follows (extends.branch): a moving ref, by the repo's choice."""


@dataclass(frozen=True)
class Migration:
    version: str
    note: str


@dataclass(frozen=True)
class Profile:
    name: str
    version: str
    root: Path
    builtin: bool
    variables: dict[str, str] = field(default_factory=dict)
    """Extra placeholders from profile.toml's [variables] table, with their defaults."""
    variable_help: dict[str, str] = field(default_factory=dict)
    """What to ask for a variable, from `NAME = {default = "...", help = "..."}`."""
    policies: tuple[tuple[str, Policy], ...] = ()
    """(glob, policy) from [files], in order: the first match wins; unlisted paths are managed."""
    migrations: tuple[Migration, ...] = ()
    description: str = ""
    origin: GitOrigin | None = None
    """Where a git profile came from; None for built-in and folder profiles."""

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def templates(self) -> Path:
        return self.root / TEMPLATES_DIR

    @property
    def label(self) -> str:
        if self.builtin:
            where = "built-in"
        elif self.origin is not None:
            where = f"{self.origin.url} at {self.origin.ref}"
        else:
            where = str(self.root)
        return f"{self.name} {self.version} ({where})"

    def policy(self, path: str) -> Policy:
        from qdev.check._globs import matches

        for pattern, policy in self.policies:
            if matches(path, pattern):
                return policy
        return Policy.MANAGED

    def notes_between(self, old: str, new: str) -> list[Migration]:
        """Migration notes of the versions after `old` up to `new`, oldest first."""
        low, high = semver_key(old), semver_key(new)
        return sorted(
            (m for m in self.migrations if low < semver_key(m.version) <= high),
            key=lambda m: semver_key(m.version),
        )


def semver_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    """A sort key that orders semantic versions (a pre-release before its release)."""
    match = SEMVER.match(version)
    if match is None:
        return (-1, -1, -1, 0, ())
    major, minor, patch, pre, _ = match.groups()
    parts = tuple((0, int(p)) if p.isdigit() else (1, p) for p in (pre or "").split(".") if p)
    return (int(major), int(minor), int(patch), 0 if pre else 1, parts)


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


def from_git(
    url: str, ref: str, *, branch: bool = False, relative_to: Path, refresh: bool = False
) -> Profile:
    """The profile at `ref` of the git repository `url`, from the cache (fetched when missing).

    `refresh` fetches a followed branch's newest commit; a pinned ref never needs it.
    """
    from qdev.profile import cache

    fetched = cache.fetch(url, ref, branch=branch, relative_to=relative_to, refresh=refresh)
    profile = _read(fetched.folder, builtin=False)
    return replace(profile, origin=GitOrigin(url, ref, fetched.commit, branch))


def at_commit(url: str, commit: str, *, relative_to: Path) -> Profile:
    """The profile at an exact commit: the base a repo's state recorded."""
    from qdev.profile import cache

    fetched = cache.fetch(url, commit, branch=False, relative_to=relative_to)
    profile = _read(fetched.folder, builtin=False)
    return replace(profile, origin=GitOrigin(url, commit, fetched.commit))


def from_extends(
    spec: Mapping[str, object] | None, *, relative_to: Path, refresh: bool = False
) -> Profile:
    """The profile an `extends` table names; the built-in default when there is none.

    The table's shape was validated by the config loader; `relative_to` is the folder of the
    file that names it (paths and local git URLs are relative to it).
    """
    spec = spec or {}
    if isinstance(spec.get("git"), str):
        branch = spec.get("branch")
        ref = branch if isinstance(branch, str) else spec.get("ref")
        if not isinstance(ref, str):
            raise ProfileError("extends.git needs a ref (a tag or commit) or a branch")
        return from_git(
            str(spec["git"]),
            ref,
            branch=isinstance(branch, str),
            relative_to=relative_to,
            refresh=refresh,
        )
    if isinstance(spec.get("path"), str):
        return from_folder(relative_to / str(spec["path"]))
    return builtin(str(spec.get("name") or DEFAULT_NAME))


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
    variables, variable_help = _variables(data.get("variables", {}), path, problems)
    policies = _policies(data.get("files", {}), path, problems)
    migrations = _migrations(data.get("migrations", []), path, problems)
    if problems:
        raise ProfileError("\n".join(problems))
    if not (folder / TEMPLATES_DIR / "common").is_dir():
        raise ProfileError(
            f"{folder} has no {TEMPLATES_DIR}/common folder",
            fix=f"a profile keeps the files every repo gets in {folder / TEMPLATES_DIR / 'common'}",
        )
    version = str(data["version"])
    if not SEMVER.match(version):
        raise ProfileError(
            f'{path}: version = "{version}" is not a semantic version',
            fix='use MAJOR.MINOR.PATCH, e.g. version = "2.1.0" (bump MAJOR for breaking changes)',
        )
    description = data.get("description")
    return Profile(
        str(data["name"]),
        version,
        folder,
        builtin,
        variables,
        variable_help,
        policies,
        migrations,
        description if isinstance(description, str) else "",
    )


def _variables(
    table: object, path: Path, problems: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    example = (
        f'{path}: [variables] must map names to strings or to {{default = "...", help = "..."}}'
    )
    if not isinstance(table, dict):
        problems.append(example)
        return {}, {}
    defaults: dict[str, str] = {}
    helps: dict[str, str] = {}
    for name, value in table.items():
        if isinstance(value, dict) and isinstance(value.get("default"), str):
            defaults[name] = value["default"]
            if isinstance(value.get("help"), str):
                helps[name] = value["help"]
        elif isinstance(value, str):
            defaults[name] = value
        else:
            problems.append(f"{example} (variables.{name})")
    return defaults, helps


def _policies(table: object, path: Path, problems: list[str]) -> tuple[tuple[str, Policy], ...]:
    known = ", ".join(policy.value for policy in Policy)
    if not isinstance(table, dict):
        problems.append(f"{path}: [files] must map path globs to a policy ({known})")
        return ()
    found = []
    for pattern, value in table.items():
        try:
            found.append((str(pattern), Policy(value)))
        except ValueError:
            problems.append(f'{path}: files."{pattern}" = {value!r}: expected one of {known}')
    return tuple(found)


def _migrations(items: object, path: Path, problems: list[str]) -> tuple[Migration, ...]:
    shape = f'{path}: [[migrations]] entries need version = "X.Y.Z" and note = "..."'
    if not isinstance(items, list):
        problems.append(shape)
        return ()
    found = []
    for item in items:
        version = item.get("version") if isinstance(item, dict) else None
        note = item.get("note") if isinstance(item, dict) else None
        if not (isinstance(version, str) and SEMVER.match(version) and isinstance(note, str)):
            problems.append(shape)
            continue
        found.append(Migration(version, note.strip()))
    return tuple(found)


def git_extends_lines(origin: GitOrigin) -> str:
    """The [extends] table's lines naming a git profile, as `qdev init` writes them."""
    import tomlkit

    key = "branch" if origin.branch else "ref"
    url = tomlkit.string(origin.url).as_string()
    return f"git = {url}\n{key} = {tomlkit.string(origin.ref).as_string()}"
