"""`fleet.toml`: the team's repos, by local path or git URL, with an optional group and tags.

    [repos.rates-signals]
    path = "../rates-signals"          # a work tree on this machine, relative to this file
    group = "rates"
    tags = ["prod", "signals"]

    [repos.risk-engine]
    url = "git@git.example.com:quant/risk-engine.git"   # kept as a clone in the user cache
    branch = "main"                                      # optional: the default branch

Read with tomllib and checked by hand (a few keys, no pydantic: `qdev fleet status` must start
fast); edited with tomlkit, so the file's comments and order survive `qdev fleet add/remove`.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qdev.errors import ConfigError, UsageError

FLEET_FILE = "fleet.toml"
FILE_VAR = "QDEV_FLEET_FILE"
"""Names the fleet file (default: the nearest fleet.toml up from the current folder)."""
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
REPO_KEYS = ("path", "url", "group", "tags", "branch")
_FIX = "edit the file (docs/fleet.md describes it), or use qdev fleet add/remove"


@dataclass(frozen=True)
class Member:
    """One repo of the fleet, as fleet.toml lists it."""

    name: str
    path: str | None = None
    """A local work tree, as written (relative to the fleet file)."""
    url: str | None = None
    """A git URL, cloned into the user cache."""
    group: str | None = None
    tags: tuple[str, ...] = ()
    branch: str | None = None
    """The default branch, when git cannot tell (no origin/HEAD, neither main nor master)."""

    @property
    def location(self) -> str:
        return self.path if self.path is not None else str(self.url)

    @property
    def remote(self) -> bool:
        return self.url is not None


@dataclass(frozen=True)
class Fleet:
    file: Path
    members: tuple[Member, ...] = field(default_factory=tuple)

    @property
    def folder(self) -> Path:
        return self.file.parent

    def member(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)


def find_file(explicit: Path | None = None, start: Path | None = None) -> Path | None:
    """The fleet file: `explicit`, else $QDEV_FLEET_FILE, else the nearest fleet.toml up."""
    if explicit is not None:
        return explicit.expanduser().absolute()
    named = os.environ.get(FILE_VAR)
    if named:
        return Path(named).expanduser().absolute()
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / FLEET_FILE).is_file():
            return folder / FLEET_FILE
    return None


def load(explicit: Path | None = None) -> Fleet:
    """The fleet the options and environment name; a usage error naming the fix when none."""
    path = find_file(explicit)
    if path is None:
        raise UsageError(
            f"no {FLEET_FILE} here or in any folder above {Path.cwd()}",
            fix=f"start one with `qdev fleet add PATH|URL`, or name it with --fleet or {FILE_VAR}",
        )
    if not path.is_file():
        raise UsageError(
            f"the fleet file {path} does not exist",
            fix="check --fleet (or QDEV_FLEET_FILE), or start it with `qdev fleet add PATH|URL`",
        )
    return parse(path.read_text(encoding="utf-8"), path)


def parse(text: str, path: Path) -> Fleet:
    """Every problem of the file at once, each with its line and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: {exc}"], fix=_FIX) from None
    from qdev.config._locate import locate_keys

    checker = _Checker(path, locate_keys(text))
    members = checker.fleet(data)
    if checker.problems:
        ordered = [text for *_, text in sorted(checker.problems)]
        raise ConfigError(ordered, fix=_FIX)
    return Fleet(path, tuple(members))


class _Checker:
    def __init__(self, path: Path, positions: dict[tuple[str | int, ...], tuple[int, int]]):
        self.path = path
        self.positions = positions
        self.problems: list[tuple[int, int, int, str]] = []
        """(line, column, order found, message): reported in the file's order."""

    def problem(self, loc: tuple[str | int, ...], message: str) -> None:
        from qdev.config.layers import dotted

        line, column, where = 0, 0, str(self.path)
        for cut in range(len(loc), -1, -1):
            if loc[:cut] in self.positions:
                line, column = self.positions[loc[:cut]]
                where = f"{self.path}:{line}:{column}"
                break
        found = f"{where}: {dotted(loc)}: {message}"
        self.problems.append((line, column, len(self.problems), found))

    def fleet(self, data: dict[str, Any]) -> list[Member]:
        for key in data:
            if key != "repos":
                self.problem((key,), _unknown(key, ["repos"]))
        repos = data.get("repos", {})
        if not isinstance(repos, dict):
            self.problem(("repos",), "expected a table of repos, [repos.NAME]")
            return []
        return [m for name, t in repos.items() if (m := self.member(name, t)) is not None]

    def member(self, name: str, table: object) -> Member | None:
        loc: tuple[str, ...] = ("repos", name)
        if not isinstance(table, dict):
            self.problem(loc, 'expected a table, e.g. [repos.NAME] with path = "..."')
            return None
        if not NAME.match(name):
            self.problem(loc, "a repo name is letters, digits, '.', '_' and '-'")
        for key in table:
            if key not in REPO_KEYS:
                self.problem((*loc, key), _unknown(key, list(REPO_KEYS)))
        values = {k: self.string(table, loc, k) for k in ("path", "url", "group", "branch")}
        if (values["path"] is None) == (values["url"] is None):
            self.problem(loc, "give exactly one of path (a local work tree) or url (a git URL)")
        tags = table.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            self.problem((*loc, "tags"), 'expected a list of tag names, e.g. ["prod"]')
            tags = []
        return Member(name, tags=tuple(tags), **values)

    def string(self, table: dict[str, Any], loc: tuple[str, ...], key: str) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem((*loc, key), f"expected a non-empty string, got {value!r}")
            return None
        return value


def _unknown(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key; {hint}allowed: {', '.join(allowed)}"


# -- editing -----------------------------------------------------------------------------------


def default_name(location: str) -> str:
    """The name a repo gets from its path or URL: the last part, less `.git`."""
    tail = re.split(r"[/:\\]", location.rstrip("/\\"))[-1].removesuffix(".git")
    name = re.sub(r"[^A-Za-z0-9._-]", "-", tail).lstrip(".-_")
    if not name:
        raise UsageError(f"cannot make a repo name from {location!r}", fix="give one with --name")
    return name


def looks_like_url(location: str) -> bool:
    return "://" in location or bool(re.match(r"^[\w.-]+@[\w.-]+:", location))


def add(
    fleet_file: Path, members: list[Member], *, update: bool = True
) -> list[tuple[Member, str]]:
    """Add (or, with `update`, re-group and re-tag) members; return each with what happened."""
    import tomlkit

    from qdev.fileio import write_atomic

    text = fleet_file.read_text(encoding="utf-8") if fleet_file.is_file() else _HEADER
    current = parse(text, fleet_file)
    doc = tomlkit.parse(text)
    repos = doc.setdefault("repos", tomlkit.table(is_super_table=True))
    done = []
    for member in members:
        done.append((member, _add_one(repos, current, member, update=update)))
    if any(what != "unchanged" for _, what in done):
        write_atomic(fleet_file, tomlkit.dumps(doc))
    return done


_HEADER = "# The team's repos, for qdev fleet (docs/fleet.md).\n"


def _add_one(repos: Any, current: Fleet, member: Member, *, update: bool) -> str:
    import tomlkit

    existing = current.member(member.name)
    same_place = next(
        (m for m in current.members if (m.path, m.url) == (member.path, member.url)), None
    )
    if same_place is not None and same_place.name != member.name:
        raise UsageError(
            f"{member.location} is in the fleet already, as {same_place.name}",
            fix=f"use that name, or `qdev fleet remove {same_place.name}` first",
        )
    if existing is not None and (existing.path, existing.url) != (member.path, member.url):
        raise UsageError(
            f"the fleet has a repo named {member.name} already, at {existing.location}",
            fix="give this one another name with --name",
        )
    if existing is not None and (not update or not _changes(existing, member)):
        return "unchanged"
    table = repos[member.name] if existing is not None else tomlkit.table()
    for key, value in (("path", member.path), ("url", member.url), ("branch", member.branch)):
        if value is not None:
            table[key] = value
    if member.group is not None:
        table["group"] = member.group
    if member.tags:
        table["tags"] = sorted({*(existing.tags if existing else ()), *member.tags})
    if existing is None:
        repos[member.name] = table
        return "added"
    return "updated"


def _changes(existing: Member, given: Member) -> bool:
    """Whether the labels given (None and no tags: not given) change the existing entry."""
    return (
        (given.group is not None and given.group != existing.group)
        or (given.branch is not None and given.branch != existing.branch)
        or not set(given.tags) <= set(existing.tags)
    )


def remove(fleet_file: Path, names: list[str]) -> list[str]:
    """Remove the named repos; every name must be in the fleet (nothing is removed otherwise)."""
    import tomlkit

    from qdev.fileio import write_atomic

    text = fleet_file.read_text(encoding="utf-8")
    current = parse(text, fleet_file)
    unknown = [name for name in names if current.member(name) is None]
    if unknown:
        known = ", ".join(m.name for m in current.members) or "none"
        raise UsageError(
            f"not in the fleet: {', '.join(unknown)} (it has: {known})",
            fix="`qdev fleet list` shows the names",
        )
    doc = tomlkit.parse(text)
    for name in names:
        del doc["repos"][name]
    write_atomic(fleet_file, tomlkit.dumps(doc))
    return names
