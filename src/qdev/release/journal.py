"""The journal of a release in progress, kept in the git dir so a killed release can be resumed.

It is written atomically before and after each step of the transaction. `pending_warning` is
called by every qdev command, so this module imports nothing heavy.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

JOURNAL_NAME = "qdev-release.json"
STAGING_NAME = "qdev-release"


@dataclass
class FileEdit:
    path: str
    original: str | None
    """The text before the release, or None when the release creates the file."""
    new: str


@dataclass
class Journal:
    version: str
    previous: str | None
    tag: str
    tag_message: str
    commit_message: str
    branch: str
    saved_head: str
    edits: list[FileEdit]
    steps: list[str]
    """Every step of this release, in order."""
    remote: str | None = None
    publish_url: str | None = None
    check_url: str | None = None
    sign: str | bool = False
    package: str = ""
    project_dir: str = "."
    """The folder of pyproject.toml, relative to the work tree's top."""
    done: list[str] = field(default_factory=list)
    current: str | None = None
    """The step that was started and has not finished."""

    @property
    def remaining(self) -> list[str]:
        return [step for step in self.steps if step not in self.done]

    @property
    def pushed(self) -> bool:
        return "push" in self.done

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Journal:
        data = json.loads(text)
        data["edits"] = [FileEdit(**edit) for edit in data["edits"]]
        return cls(**data)


def find_git_dir(start: Path) -> Path | None:
    """The git dir of the repository holding `start`, found by walking up (no git process)."""
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # a worktree or submodule: ".git" names the real git dir
            text = dot_git.read_text(errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text.removeprefix("gitdir:").strip())
                return target if target.is_absolute() else (folder / target).resolve()
    return None


def journal_path(git_dir: Path) -> Path:
    return git_dir / JOURNAL_NAME


def staging_dir(git_dir: Path) -> Path:
    """Where the build output and the verify environment live until the release is done."""
    return git_dir / STAGING_NAME


def load(git_dir: Path) -> Journal | None:
    path = journal_path(git_dir)
    try:
        return Journal.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def save(git_dir: Path, journal: Journal) -> None:
    from qdev.fileio import write_atomic

    write_atomic(journal_path(git_dir), journal.to_json() + "\n")


def clear(git_dir: Path) -> None:
    journal_path(git_dir).unlink(missing_ok=True)


def pending_warning(start: Path) -> str | None:
    """A warning when a release in the repository holding `start` was left half-done."""
    try:
        git_dir = find_git_dir(start.resolve())
        if git_dir is None or not journal_path(git_dir).is_file():
            return None
        data = json.loads(journal_path(git_dir).read_text(encoding="utf-8"))
        what = f"release {data.get('version', '?')}"
        done = ", ".join(data.get("done", [])) or "nothing"
    except (OSError, ValueError):
        return None
    return (
        f"warning: {what} is half-done (done: {done}); "
        "finish it with `qdev release --continue` or undo it with `qdev release --abort`"
    )
