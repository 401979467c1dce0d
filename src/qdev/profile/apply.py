"""What rendering a profile into a folder would change, and doing it without losing anything.

`plan_files` compares each rendered file with what is on disk and decides: create it, leave it
(identical), merge it (TOML), keep the user's differing file (reported with a diff), or with
`force` replace it keeping a backup. `apply_plan` writes the plan; if any write fails, every
file already written is put back, so the folder is left as it was.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from qdev.errors import UsageError
from qdev.fileio import write_atomic
from qdev.profile import state as state_file
from qdev.profile.merge import merge_toml
from qdev.profile.render import RenderedFile
from qdev.profile.source import Profile
from qdev.profile.state import FileRecord, ProfileState, RenderInputs, sha256

MERGED_TOML = frozenset({"pyproject.toml", "qdev.toml"})
BACKUP_SUFFIX = ".qdev-backup"


class Action(StrEnum):
    CREATE = "create"
    UNCHANGED = "unchanged"
    MERGE = "merge"
    KEEP = "keep"
    REPLACE = "replace"
    UPDATE = "update"


WRITING = frozenset({Action.CREATE, Action.MERGE, Action.REPLACE, Action.UPDATE})


@dataclass(frozen=True)
class PlannedFile:
    path: str
    action: Action
    old: bytes | None
    """The file on disk now, None when there is none."""
    new: bytes
    """The file qdev writes (for KEEP: what the profile would have written)."""
    detail: str = ""
    backup: bool = False
    """Whether the old file is saved beside it before it is replaced (--force)."""

    @property
    def writes(self) -> bool:
        return self.action in WRITING

    def diff(self) -> str:
        if self.action == Action.UNCHANGED:
            return ""
        before = _lines(self.old or b"")
        after = _lines(self.new)
        label_from = f"a/{self.path}" if self.old is not None else "/dev/null"
        label_to = f"b/{self.path}" + (" (profile)" if self.action == Action.KEEP else "")
        if not before and not after:
            return f"--- {label_from}\n+++ {label_to}\n(empty file)\n"
        return "".join(difflib.unified_diff(before, after, label_from, label_to))


@dataclass(frozen=True)
class Exact:
    """A file whose whole new content is given (an adoption fitted it to the repo itself)."""

    detail: str
    """What changes, for the plan's listing."""
    template: bytes | None
    """The profile's own rendering of the file: recorded in the state as `qdev sync`'s base.
    None for a file of the repo's that qdev edits but the profile does not manage (ruff.toml)."""


@dataclass(frozen=True)
class Plan:
    root: Path
    files: tuple[PlannedFile, ...]
    state: ProfileState = field(compare=False)

    @property
    def writes(self) -> tuple[PlannedFile, ...]:
        return tuple(f for f in self.files if f.writes)

    @property
    def kept(self) -> tuple[PlannedFile, ...]:
        return tuple(f for f in self.files if f.action == Action.KEEP)


def _lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def plan_files(
    root: Path,
    rendered: Sequence[RenderedFile],
    profile: Profile,
    *,
    force: bool,
    inputs: RenderInputs | None = None,
    exact: Mapping[str, Exact] | None = None,
) -> Plan:
    """What writing `rendered` into `root` does, file by file.

    `inputs` (kind, CI provider, variables) go into the state, for `qdev sync`'s base. Paths in
    `exact` hold their whole new content already (an adoption merged them itself): they are
    written as they are, described by the mapped text.
    """
    origin = profile.origin
    state = ProfileState(
        profile.name,
        profile.version,
        profile_source(profile, root),
        ref=origin.ref if origin else None,
        commit=origin.commit if origin else None,
        inputs=inputs,
    )
    planned = []
    for item in rendered:
        target = root / item.path
        _refuse_non_file(target, item.path)
        old = target.read_bytes() if target.is_file() else None
        template = item.content
        if exact is not None and item.path in exact:
            entry = _plan_exact(item, old, exact[item.path].detail, backup=force)
            if exact[item.path].template is None:
                planned.append(entry)  # written, but not a file the profile manages
                continue
            template = exact[item.path].template or b""
        else:
            entry = _plan_one(item, old, force=force)
        planned.append(entry)
        written = (
            None
            if entry.action == Action.KEEP
            else sha256(entry.new if entry.writes else old or b"")
        )
        state.files[item.path] = FileRecord(sha256(template), written)
    planned.append(_plan_state(root, state))
    return Plan(root, tuple(planned), state)


def profile_source(profile: Profile, root: Path) -> str:
    """How the state file names the profile: never an absolute path, which differs per machine."""
    if profile.builtin:
        return "builtin"
    if profile.origin is not None:
        return profile.origin.url
    return Path(os.path.relpath(profile.root, root.resolve())).as_posix()


def _refuse_non_file(target: Path, relative: str) -> None:
    if target.exists() and not target.is_file():
        raise UsageError(
            f"{target} is in the way: the profile writes a file {relative} there",
            fix="move it aside, then run qdev init again",
        )


def _plan_one(item: RenderedFile, old: bytes | None, *, force: bool) -> PlannedFile:
    if old is None:
        return PlannedFile(item.path, Action.CREATE, None, item.content)
    if old == item.content:
        return PlannedFile(item.path, Action.UNCHANGED, old, old)
    if item.path in MERGED_TOML:
        return _plan_merge(item, old, force=force)
    if force:
        return PlannedFile(
            item.path,
            Action.REPLACE,
            old,
            item.content,
            f"backup in {item.path}{BACKUP_SUFFIX}",
            backup=True,
        )
    return PlannedFile(
        item.path,
        Action.KEEP,
        old,
        item.content,
        "differs from the profile; kept (--force replaces it)",
    )


def _plan_exact(item: RenderedFile, old: bytes | None, detail: str, *, backup: bool) -> PlannedFile:
    if old is None:
        return PlannedFile(item.path, Action.CREATE, None, item.content, detail)
    if old == item.content:
        return PlannedFile(item.path, Action.UNCHANGED, old, old)
    if backup:
        detail += f"; backup in {item.path}{BACKUP_SUFFIX}"
    return PlannedFile(item.path, Action.MERGE, old, item.content, detail, backup=backup)


def _plan_merge(item: RenderedFile, old: bytes, *, force: bool) -> PlannedFile:
    merged = merge_toml(
        old.decode("utf-8", errors="replace"),
        item.content.decode("utf-8"),
        force=force,
        where=item.path,
    )
    notes = []
    if merged.added:
        notes.append(f"adds {', '.join(merged.added)}")
    if merged.differing:
        verb = "replaces" if force else "keeps your"
        notes.append(f"{verb} {', '.join(merged.differing)}")
    detail = "; ".join(notes)
    if not merged.changed:
        return PlannedFile(item.path, Action.UNCHANGED, old, old, detail)
    if merged.replaced:
        detail += f"; backup in {item.path}{BACKUP_SUFFIX}"
    return PlannedFile(
        item.path, Action.MERGE, old, merged.text.encode("utf-8"), detail, backup=merged.replaced
    )


def _plan_state(root: Path, state: ProfileState) -> PlannedFile:
    path = state_file.STATE_FILE
    target = root / path
    _refuse_non_file(target, path)
    new = state_file.dumps(state).encode("utf-8")
    old = target.read_bytes() if target.is_file() else None
    if old is None:
        return PlannedFile(path, Action.CREATE, None, new)
    return PlannedFile(path, Action.UNCHANGED if old == new else Action.UPDATE, old, new)


def check_writable(root: Path) -> None:
    """Refuse early, before anything is written, when `root` cannot hold the files."""
    probe = root
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{root} cannot be created: {probe} is a file", fix="choose another PATH")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise UsageError(
            f"cannot write in {probe}: {exc.strerror}",
            fix="choose a folder you can write to, or fix its permissions",
        ) from exc


class Journal:
    """Every change made so far, so that all of them can be undone.

    Files written through `write` are put back (or removed); paths named with `remember`
    before a tool changes them (uv.lock, .venv, .git, a git hook) are put back as they were:
    a file's bytes are restored, a file or folder that did not exist is removed.
    """

    def __init__(self) -> None:
        self.files: list[tuple[Path, bytes | None]] = []
        self.dirs: list[Path] = []
        self.trees: list[Path] = []

    def write(self, path: Path, data: bytes) -> None:
        self._make_parents(path)
        self.files.append((path, path.read_bytes() if path.is_file() else None))
        write_atomic(path, data)

    def remember(self, path: Path) -> None:
        """Note `path` as it is now, before something other than `write` changes it."""
        if path.is_file() and not path.is_symlink():
            self.files.append((path, path.read_bytes()))
        elif not path.exists() and not path.is_symlink():
            self._make_parents(path, create=False)
            self.trees.append(path)

    def _make_parents(self, path: Path, *, create: bool = True) -> None:
        missing = [p for p in reversed(path.parents) if not p.exists()]
        for folder in missing:
            if create:
                folder.mkdir()
            self.dirs.append(folder)

    def undo(self) -> None:
        for tree in reversed(self.trees):
            if tree.is_dir() and not tree.is_symlink():
                shutil.rmtree(tree, ignore_errors=True)
            else:
                tree.unlink(missing_ok=True)
        for path, old in reversed(self.files):
            if old is None:
                path.unlink(missing_ok=True)
            else:
                write_atomic(path, old)
        for folder in reversed(self.dirs):
            # A folder qdev created goes, with whatever tools left in it (caches, .venv).
            shutil.rmtree(folder, ignore_errors=True)
        self.files.clear()
        self.dirs.clear()
        self.trees.clear()


@contextmanager
def undo_on_error(journal: Journal | None = None) -> Iterator[Journal]:
    """Undo every change recorded in the journal when the body raises or is interrupted."""
    journal = journal or Journal()
    try:
        yield journal
    except BaseException:
        journal.undo()
        raise


def apply_plan(plan: Plan, journal: Journal | None = None) -> None:
    """Write the plan; on a failure every file written is put back ("nothing was changed").

    With a `journal`, the writes are also recorded there, for a caller that undoes more.
    """
    own = Journal()
    try:
        with undo_on_error(own):
            for item in plan.writes:
                target = plan.root / item.path
                if item.backup and item.old is not None:
                    own.write(target.with_name(target.name + BACKUP_SUFFIX), item.old)
                own.write(target, item.new)
    except OSError as exc:
        raise UsageError(
            f"cannot write {exc.filename or plan.root}: {exc.strerror}; nothing was changed",
            fix="fix the folder's permissions, then run qdev init again",
        ) from exc
    if journal is not None:
        journal.files.extend(own.files)
        journal.dirs.extend(own.dirs)
