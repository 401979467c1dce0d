"""Which repos of the fleet a command works on: names, groups, tags, kinds, `--where`, shards.

Names, groups and tags are read from fleet.toml; kinds and `--where` from each repo itself.
Within one option the values are alternatives (`--tag a --tag b`: either), the options
together must all hold. A `--where` expression is `[!]FIELD OP VALUE`:

| field | compares | example |
| --- | --- | --- |
| `name`, `group`, `tag`, `kind`, `profile` | text (`=` and `!=` take globs) | `group=rates*` |
| `version` | the profile version the repo's files came from (semver) | `version<2.0.0` |
| `ref` | the ref the repo's config pins (semver if both are versions) | `ref!=v3.0.0` |
| `has` | a file or glob exists in the work tree | `has=noxfile.py`, `!has=uv.lock` |
| `grep` | a tracked file has a line matching an extended regex | `grep=import pandas` |

A leading `!` negates. A repo whose files cannot be read (not cloned yet, unreachable) does not
match a `--kind` or `--where` and is reported as unknown.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qdev.errors import QdevError, UsageError
from qdev.fleet.manifest import Fleet, Member

TEXT_FIELDS = ("name", "group", "tag", "kind", "profile")
VERSION_FIELDS = ("version", "ref")
FILE_FIELDS = ("has", "grep")
PYTHON_ONLY_ESCAPE = re.compile(r"(?<!\\)(\\\\)*\\[dD]")  # an unescaped \d or \D
FIELDS = (*TEXT_FIELDS, *VERSION_FIELDS, *FILE_FIELDS)
OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
ORDERING = ("<", "<=", ">", ">=")
_EXPRESSION = re.compile(r"^\s*(!?)\s*([a-z]+)\s*(!=|<=|>=|=|<|>)(.*)$", re.S)
KINDS = ("library", "research", "service")


@dataclass(frozen=True)
class Where:
    field: str
    op: str
    value: str
    negate: bool = False

    def __str__(self) -> str:
        return f"{'!' if self.negate else ''}{self.field}{self.op}{self.value}"


def parse_where(text: str) -> Where:
    """`[!]FIELD OP VALUE`, or a usage error that names what is wrong and the fields."""
    found = _EXPRESSION.match(text)
    fields = ", ".join(FIELDS)
    if found is None:
        raise UsageError(
            f"--where {text!r}: expected FIELD OP VALUE, e.g. version<2.0.0 or has=noxfile.py",
            fix=f"fields: {fields}; operators: = != < <= > >=; a leading ! negates",
        )
    negate, field, op, value = found.group(1), found.group(2), found.group(3), found.group(4)
    value = value.strip()
    if field not in FIELDS:
        raise UsageError(f"--where {text!r}: unknown field {field!r}", fix=f"fields: {fields}")
    if not value:
        raise UsageError(f"--where {text!r}: no value after {op!r}", fix=f"e.g. {field}{op}X")
    if op in ORDERING and field not in VERSION_FIELDS:
        raise UsageError(
            f"--where {text!r}: {field} is compared with = or != only",
            fix="order comparisons (< <= > >=) work on version and ref",
        )
    if op == "!=" and field in FILE_FIELDS:
        raise UsageError(f"--where {text!r}: negate with a leading !", fix=f"!{field}={value}")
    if field in VERSION_FIELDS and op in ORDERING and _version(value) is None:
        raise UsageError(f"--where {text!r}: {value!r} is not a version", fix="e.g. 2.0.0")
    if field == "grep":
        _check_regex(text, value)
    if field == "has" and (value.startswith(("/", "~")) or ".." in Path(value).parts):
        raise UsageError(
            f"--where {text!r}: a path inside the repo is needed", fix="e.g. has=src/*/py.typed"
        )
    return Where(field, op, value, bool(negate))


def _check_regex(text: str, value: str) -> None:
    """As `git grep -E` reads it (POSIX extended), which is what runs: Python's own syntax
    (`(?i)`, lookarounds) is refused there, and `\\d` would quietly mean the letter d."""
    from qdev.tools import git

    problem = git.extended_regex_problem(value)
    if problem is not None:
        raise UsageError(
            f"--where {text!r}: not a POSIX extended regular expression ({problem})",
            fix="escape special characters; no (?...) groups or lookarounds",
        )
    if PYTHON_ONLY_ESCAPE.search(value):
        raise UsageError(
            f"--where {text!r}: \\d and \\D are not classes in git's extended regexes",
            fix="write [0-9] or [^0-9]",
        )


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N`: the I-th of N shards, from 1."""
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if found is None or not 1 <= int(found.group(1)) <= int(found.group(2)):
        raise UsageError(f"--shard {text!r}: expected I/N with 1 <= I <= N", fix="e.g. 2/8")
    return int(found.group(1)), int(found.group(2))


@dataclass(frozen=True)
class Selection:
    names: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    where: tuple[Where, ...] = ()
    shard: tuple[int, int] | None = None

    @property
    def reads_repos(self) -> bool:
        return bool(self.kinds or self.where)


def by_labels(fleet: Fleet, selection: Selection) -> list[Member]:
    """The members fleet.toml alone selects: names, groups, tags, then the shard."""
    unknown = [n for n in selection.names if fleet.member(n) is None]
    if unknown:
        raise UsageError(
            f"not in the fleet: {', '.join(unknown)}", fix="`qdev fleet list` shows the names"
        )
    for kind in selection.kinds:
        if kind not in KINDS:
            raise UsageError(f"--kind {kind}: unknown kind", fix=f"one of: {', '.join(KINDS)}")
    chosen = [
        m
        for m in fleet.members
        if (not selection.names or m.name in selection.names)
        and (not selection.groups or _any_glob(m.group or "", selection.groups))
        and (not selection.tags or any(_any_glob(t, selection.tags) for t in m.tags))
    ]
    if selection.shard is not None:
        index, count = selection.shard
        ordered = sorted(m.name for m in chosen)
        mine = {name for at, name in enumerate(ordered) if at % count == index - 1}
        chosen = [m for m in chosen if m.name in mine]
    return chosen


def _any_glob(value: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


@dataclass(frozen=True)
class RepoLabels:
    """What `--kind` and `--where` read of a repo: cheap, no config models, no rendering."""

    kind: str | None
    profile: str | None
    version: str | None
    ref: str | None


def read_labels(root: Path) -> RepoLabels:
    """The repo's kind and profile pin from its state and config files (QdevError if unreadable)."""
    from qdev.profile import state as state_file

    if not root.is_dir():
        raise UsageError(f"{root} does not exist", fix="check the path, or run qdev fleet fetch")
    recorded = state_file.read(root)
    config = _raw_config(root)
    project = config.get("project", {})
    extends = config.get("extends", {})
    kind = recorded.inputs.kind if recorded and recorded.inputs else None
    if kind is None and isinstance(project, dict) and isinstance(project.get("kind"), str):
        kind = project["kind"]
    ref = extends.get("ref") if isinstance(extends, dict) else None
    if not isinstance(ref, str):
        ref = recorded.ref if recorded else None
    return RepoLabels(
        kind,
        recorded.profile if recorded else None,
        recorded.version if recorded else None,
        ref,
    )


def _raw_config(root: Path) -> dict[str, object]:
    """The repo's own qdev table as written (qdev.toml, else [tool.qdev]); {} when unreadable."""
    import tomllib

    for name, inner in (("qdev.toml", ()), ("pyproject.toml", ("tool", "qdev"))):
        path = root / name
        if not path.is_file():
            continue
        try:
            data: object = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return {}
        for key in inner:
            data = data.get(key, {}) if isinstance(data, dict) else {}
        if isinstance(data, dict) and data:
            return data
    return {}


def matches(member: Member, root: Path, selection: Selection) -> bool:
    """Whether the repo at `root` holds every `--kind` and `--where` (QdevError if unreadable)."""
    labels = read_labels(root)
    if selection.kinds and labels.kind not in selection.kinds:
        return False
    return all(holds(w, member, root, labels) != w.negate for w in selection.where)


def holds(where: Where, member: Member, root: Path, labels: RepoLabels) -> bool:
    """The expression without its negation."""
    if where.field == "has":
        return (root / where.value).exists() or any(True for _ in root.glob(where.value))
    if where.field == "grep":
        from qdev.tools import git

        return git.grep_any(root, where.value)
    if where.field in VERSION_FIELDS:
        actual = labels.version if where.field == "version" else labels.ref
        return _compare_versions(actual, where.op, where.value)
    values = {
        "name": [member.name],
        "group": [member.group or ""],
        "tag": list(member.tags),
        "kind": [labels.kind or ""],
        "profile": [labels.profile or ""],
    }[where.field]
    hit = any(fnmatch.fnmatchcase(v, where.value) for v in values)
    return hit if where.op == "=" else not hit


def _version(text: str) -> tuple[int, ...] | None:
    found = re.fullmatch(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", text.strip())
    if found is None:
        return None
    return tuple(int(part or 0) for part in found.groups())


def _compare_versions(actual: str | None, op: str, wanted: str) -> bool:
    if actual is None:
        return op == "!="
    have, want = _version(actual), _version(wanted)
    if have is None or want is None:
        equal = actual == wanted
        return equal if op == "=" else (not equal if op == "!=" else False)
    return {
        "=": have == want,
        "!=": have != want,
        "<": have < want,
        "<=": have <= want,
        ">": have > want,
        ">=": have >= want,
    }[op]


def by_content(
    fleet: Fleet, members: Sequence[Member], selection: Selection
) -> tuple[list[Member], list[tuple[Member, str]]]:
    """(members that hold every --kind and --where, members whose repo could not be read)."""
    if not selection.reads_repos:
        return list(members), []
    from qdev.fleet.clones import workdir

    chosen, unknown = [], []
    for member in members:
        try:
            if matches(member, workdir(fleet, member), selection):
                chosen.append(member)
        except QdevError as exc:
            unknown.append((member, exc.message))
    return chosen, unknown
