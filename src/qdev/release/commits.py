"""Conventional commits: parse subjects and bodies, and derive the bump they call for."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.version import Version

_HEADER = re.compile(
    r"^(?P<type>[A-Za-z][\w-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?:[ \t]+(?P<desc>\S.*)$"
)
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE:[ \t]*(?P<note>.*)$", re.MULTILINE)

MINOR_TYPES = frozenset({"feat"})
PATCH_TYPES = frozenset({"fix", "perf"})


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    subject: str
    type: str | None
    """The conventional type in lower case, or None for a commit that does not follow the rules."""
    scope: str | None
    description: str
    breaking: bool
    breaking_note: str | None


def parse_message(sha: str, message: str) -> Commit:
    """A commit from its whole message: the header is the first line alone, the rest is body.

    (git's own %s joins the first paragraph into one line, which would read `feat(x` on one line
    and `): y` on the next as a feat.)
    """
    header, _, body = message.partition("\n")
    return parse_commit(sha, header, body)


def parse_commit(sha: str, subject: str, body: str = "") -> Commit:
    subject = subject.split("\n", 1)[0].rstrip("\r")
    match = _HEADER.match(subject.strip())
    note_match = _BREAKING.search(body) if "BREAKING" in body else None
    note = note_match.group("note").strip() or None if note_match else None
    if match is None:
        return Commit(sha, subject, None, None, subject.strip(), note_match is not None, note)
    scope = (match.group("scope") or "").strip() or None
    breaking = bool(match.group("bang")) or note_match is not None
    return Commit(
        sha,
        subject,
        match.group("type").lower(),
        scope,
        match.group("desc").strip(),
        breaking,
        note,
    )


def parse_messages(records: Iterable[tuple[str, str]]) -> list[Commit]:
    """Commits from (sha, whole message) pairs."""
    return [parse_message(sha, message) for sha, message in records]


def bump_for(commits: Sequence[Commit], current: Version) -> str | None:
    """major, minor or patch as the commits ask, or None when none of them calls for a release.

    A breaking change is a major bump, except before 1.0 where it is a minor one.
    """
    if any(commit.breaking for commit in commits):
        return "major" if current.major >= 1 else "minor"
    if any(commit.type in MINOR_TYPES for commit in commits):
        return "minor"
    if any(commit.type in PATCH_TYPES for commit in commits):
        return "patch"
    return None
