"""The journal of a release in progress, kept in the git dir so a killed release can be resumed.

It is written atomically before and after each step of the transaction. `pending_warning` is
called by every qdev command, so this module imports nothing heavy.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qdev.errors import ExitCode, QdevError

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
    """Never holds credentials: they come from the environment at publish time."""
    check_url: str | None = None
    sign: str | bool = False
    package: str = ""
    project_dir: str = "."
    """The folder of pyproject.toml, relative to the work tree's top."""
    done: list[str] = field(default_factory=list)
    current: str | None = None
    """The step that was started and has not finished."""
    release_commit: str | None = None
    """The SHA of the release commit, once made."""
    push_pgid: int | None = None
    """The process group of a running `git push`: while it lives, the push may still land."""
    published: list[str] = field(default_factory=list)
    """The names of the files the index has accepted."""

    @property
    def remaining(self) -> list[str]:
        return [step for step in self.steps if step not in self.done]

    @property
    def pushed(self) -> bool:
        return "push" in self.done

    @property
    def past_return(self) -> bool:
        """Whether something may be public: a push or a publish has started (never undone)."""
        return any(step in self.done or step == self.current for step in ("push", "publish"))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Journal:
        data = json.loads(text)
        problem = _shape_problem(data)
        if problem:
            raise ValueError(problem)
        data["edits"] = [FileEdit(**edit) for edit in data["edits"]]
        return cls(**data)


# The journal's fields with the JSON types each may hold; the first group is required.
_REQUIRED: dict[str, tuple[type, ...]] = {
    "version": (str,),
    "previous": (str, type(None)),
    "tag": (str,),
    "tag_message": (str,),
    "commit_message": (str,),
    "branch": (str,),
    "saved_head": (str,),
    "edits": (list,),
    "steps": (list,),
}
_OPTIONAL: dict[str, tuple[type, ...]] = {
    "remote": (str, type(None)),
    "publish_url": (str, type(None)),
    "check_url": (str, type(None)),
    "sign": (str, bool),
    "package": (str,),
    "project_dir": (str,),
    "done": (list,),
    "current": (str, type(None)),
    "release_commit": (str, type(None)),
    "push_pgid": (int, type(None)),
    "published": (list,),
}
_EDIT_FIELDS = {"path": (str,), "original": (str, type(None)), "new": (str,)}


def _shape_problem(data: object) -> str | None:
    """What makes `data` not a journal, or None when every field is there with its type."""
    if not isinstance(data, dict):
        return f"it holds a JSON {type(data).__name__}, not a release journal"
    for name in _REQUIRED:
        if name not in data:
            return f'the field "{name}" is missing'
    for name, value in data.items():
        types = _REQUIRED.get(name) or _OPTIONAL.get(name)
        if not types:
            return f'it has an unknown field "{name}"'
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            return f'the field "{name}" holds {json.dumps(value)[:40]}, of the wrong type'
    for name in ("steps", "done", "published"):
        if not all(isinstance(item, str) for item in data.get(name, [])):
            return f'the field "{name}" must be a list of names'
    for edit in data["edits"]:
        if not isinstance(edit, dict) or set(edit) != set(_EDIT_FIELDS):
            return 'an entry of the field "edits" is not a file edit'
        if not all(isinstance(edit[key], types) for key, types in _EDIT_FIELDS.items()):
            return 'an entry of the field "edits" holds a value of the wrong type'
    return None


class JournalDamaged(QdevError):
    """The journal of a half-done release cannot be read: say what is wrong and how to recover."""

    exit_code = ExitCode.USAGE


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
    """The journal of the release in progress, None when there is none.

    Raises JournalDamaged (exit 2) when the file is there but is not a journal qdev wrote.
    """
    path = journal_path(git_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise _damaged(path, "it is a folder, not a file", b"") from None
    except OSError as exc:
        raise _damaged(path, f"it cannot be read ({exc.strerror})", b"") from None
    if not raw.strip():
        raise _damaged(path, "it is empty", raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _damaged(path, "it is not text (not UTF-8)", raw) from None
    try:
        return Journal.from_json(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise _damaged(path, f"it is not valid JSON ({where}: {exc.msg})", raw) from None
    except (ValueError, TypeError) as exc:
        raise _damaged(path, str(exc), raw) from None


def _damaged(path: Path, what: str, raw: bytes) -> JournalDamaged:
    """The recovery steps, naming the tag and the starting commit when they can still be read."""
    text = raw.decode("utf-8", errors="replace")
    tag = re.search(r'"tag":\s*"([^"\\]+)"', text)
    head = re.search(r'"saved_head":\s*"([0-9a-f]{7,40})"', text)
    undo = []
    if head:
        undo.append(f"git reset --keep {head.group(1)}")
    undo.append(f"git tag -d {tag.group(1)}" if tag else "git tag -d TAG")
    rel = _display(path)
    return JournalDamaged(
        f"the journal of a half-done release, {rel}, is damaged: {what}; qdev cannot tell "
        "which steps the release did",
        fix="see what it left: `git log -1`, `git status` and `git tag --points-at HEAD`. If "
        "nothing was pushed (`git ls-remote --tags origin`), undo the release commit and tag: "
        f"`{'` and `'.join(undo)}`. Then remove the journal: `rm -r {rel}`",
    )


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def save(git_dir: Path, journal: Journal) -> None:
    from qdev.fileio import write_atomic

    write_atomic(journal_path(git_dir), journal.to_json() + "\n")


def clear(git_dir: Path) -> None:
    journal_path(git_dir).unlink(missing_ok=True)


def pending_warning(start: Path) -> str | None:
    """A warning when a release in the repository holding `start` was left half-done."""
    try:
        git_dir = find_git_dir(start.resolve())
        if git_dir is None or not journal_path(git_dir).exists():
            return None
    except OSError:
        return None
    undo = "finish it with `qdev release --continue` or undo it with `qdev release --abort`"
    try:
        data = json.loads(journal_path(git_dir).read_bytes().decode("utf-8"))
        if _shape_problem(data):
            raise ValueError("not a journal")
        what = f"release {data['version']}"
        done = ", ".join(data.get("done", [])) or "nothing"
    except (OSError, ValueError):
        return (
            f"warning: the journal of a half-done release, {journal_path(git_dir)}, is "
            "damaged; `qdev release --abort` says how to recover"
        )
    return f"warning: {what} is half-done (done: {done}); {undo}"
