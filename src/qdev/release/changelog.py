"""The changelog: a Keep a Changelog section per release, commits grouped by type."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from qdev.release.commits import Commit

HEADER = """# Changelog

All notable changes to this project are documented in this file.
The format follows [Keep a Changelog](https://keepachangelog.com/en/1.1.0/).
"""

# Section titles in the order they are printed; unknown types go under "Other".
GROUPS: dict[str, str] = {
    "feat": "Features",
    "fix": "Fixes",
    "perf": "Performance",
    "revert": "Reverts",
    "refactor": "Refactoring",
    "docs": "Documentation",
    "build": "Build",
    "ci": "Continuous integration",
    "test": "Tests",
    "style": "Style",
    "chore": "Chores",
}
SKIPPED_SCOPES = frozenset({"release"})

_SECTION = re.compile(r"^## ", re.MULTILINE)
_UNRELEASED = re.compile(r"^## \[?unreleased\]?", re.IGNORECASE | re.MULTILINE)


def web_url(remote: str | None) -> str | None:
    """The browsable URL of a remote such as git@host:org/repo.git, or None for local remotes."""
    if not remote:
        return None
    scp = re.match(r"^(?:ssh://)?git@([^:/]+)[:/](.+?)(?:\.git)?/?$", remote)
    if scp:
        return f"https://{scp.group(1)}/{scp.group(2)}"
    http = re.match(r"^https?://(?:[^@/]+@)?(.+?)(?:\.git)?/?$", remote)
    return f"https://{http.group(1)}" if http else None


def _line(commit: Commit, link: str | None) -> str:
    scope = f"**{commit.scope}:** " if commit.scope else ""
    ref = f" ([{commit.sha[:7]}]({link}/commit/{commit.sha}))" if link else f" ({commit.sha[:7]})"
    return f"- {scope}{commit.description}{ref}"


def render_section(
    version: str, day: date, commits: Sequence[Commit], *, link: str | None = None
) -> str:
    """The `## [version] - date` section: breaking changes first, then one list per type."""
    lines = [f"## [{version}] - {day.isoformat()}", ""]
    shown = [c for c in commits if not (c.type == "chore" and c.scope in SKIPPED_SCOPES)]
    breaking = [c for c in shown if c.breaking]
    if breaking:
        lines += ["### Breaking changes", ""]
        lines += [
            _line(c, link) + (f": {c.breaking_note}" if c.breaking_note else "") for c in breaking
        ]
        lines.append("")
    for kind, title in [*GROUPS.items(), (None, "Other")]:
        group = [c for c in shown if not c.breaking and _group_of(c) == kind]
        if group:
            lines += [f"### {title}", "", *(_line(c, link) for c in group), ""]
    if len(lines) == 2:
        lines += ["- No notable changes.", ""]
    return "\n".join(lines)


def _group_of(commit: Commit) -> str | None:
    return commit.type if commit.type in GROUPS else None


def insert_section(existing: str | None, section: str) -> str:
    """The changelog with `section` on top of the releases, below the header and Unreleased."""
    if not existing or not existing.strip():
        return f"{HEADER}\n{section}"
    headings = [m.start() for m in _SECTION.finditer(existing)]
    for start in headings:
        if not _UNRELEASED.match(existing, start):
            before = existing[:start]
            return f"{before}{section}\n{existing[start:]}"
    text = existing if existing.endswith("\n") else existing + "\n"
    return f"{text}\n{section}"
