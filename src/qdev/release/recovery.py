"""What --continue and --abort check before they touch anything, and the rollback: the user's
work after a crash is never released nor lost, and a branch moved by the user is never reset.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from qdev.errors import GuardRefused
from qdev.fileio import write_atomic
from qdev.release import guards
from qdev.release import journal as journals
from qdev.release.journal import FileEdit
from qdev.release.reverse import take_out
from qdev.release.steps import Context, made_by_release, remove_worktree
from qdev.tools import git as gitops
from qdev.tools import process

BACKUP_NAME = "qdev-release-backup"


def ready_to_touch(ctx: Context) -> None:
    """The checks --continue and --abort share: right branch, no git lock, no push of the
    stopped release still running, HEAD where the release left it."""
    _same_branch(ctx)
    guards.git_unlocked(ctx.repo)
    pgid = ctx.journal.push_pgid
    if pgid is not None and process.group_alive(pgid):
        raise GuardRefused(
            f"the push of {ctx.journal.tag} started by the stopped release is still running "
            f"(process group {pgid}): until it ends, the remote may still take it",
            fix=f"wait for it to end (or end it: kill -- -{pgid}), then run the command again",
        )
    moved = _head_moved(ctx)
    if moved:
        raise GuardRefused(
            f"{ctx.journal.branch} moved since the release stopped (HEAD is {moved[:12]}, the "
            f"release left it at {(ctx.journal.release_commit or ctx.journal.saved_head)[:12]}); "
            "qdev will not release your commits nor move the branch back over them",
            fix=f"move your commits away (e.g. `git branch my-work` then `git reset --keep "
            f"{(ctx.journal.release_commit or ctx.journal.saved_head)[:12]}`), then "
            "--continue or --abort",
        )


def _same_branch(ctx: Context) -> None:
    branch = gitops.current_branch(ctx.repo)
    if branch != ctx.journal.branch:
        raise GuardRefused(
            f"the half-done release {ctx.journal.tag} was started on {ctx.journal.branch}, "
            f"and this repository is on {branch or 'a detached HEAD'}",
            fix=f"git switch {ctx.journal.branch}, then --continue or --abort",
        )


def _head_moved(ctx: Context) -> str | None:
    """HEAD when it is neither where the release started nor the release commit, else None.

    A release commit made just before a crash (the journal did not get to record it) is
    recognised by its parent and message, and recorded.
    """
    journal = ctx.journal
    head = gitops.head_commit(ctx.repo)
    if head is None or head in (journal.saved_head, journal.release_commit):
        return None
    if journal.release_commit is None and "commit" in journal.steps and made_by_release(ctx, head):
        journal.release_commit = head
        journals.save(ctx.git_dir, journal)
        return None
    return head


def _current_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError):
        return "\0unreadable"


def changed_since_stop(ctx: Context) -> list[str]:
    """The release's files that hold neither their text before the release nor the release's:
    someone edited them after the release stopped."""
    return [
        edit.path
        for edit in ctx.journal.edits
        if _edited_since_stop(edit, _current_text(ctx.root / edit.path))
    ]


def _edited_since_stop(edit: FileEdit, current: str | None) -> bool:
    return current not in (edit.original, edit.new)


def edited_refusal(ctx: Context, changed: list[str]) -> GuardRefused:
    """--continue will not release edits made after the release stopped; the way out depends
    on whether the release commit is made (then they can be stashed on top of it)."""
    files = " ".join(changed)
    committed = ctx.journal.release_commit is not None or "commit" not in ctx.journal.steps
    if committed:
        fix = (
            f"put them aside: `git stash push -- {files}`, run `qdev release --continue`, "
            "then `git stash pop`"
        )
    else:
        fix = (
            "the release commit is not made yet and these files hold both the release's change "
            "and yours: `qdev release --abort` takes the release's change out and keeps your "
            "edits (and a copy of each file); then commit or stash them and release again"
        )
    return GuardRefused(
        f"files of the release changed since the release stopped: {', '.join(changed)}; "
        "--continue would release your edits with it",
        fix=fix,
    )


def rollback(ctx: Context) -> list[str]:
    """Back to the state the release started from: HEAD, the release's files, no tag, no build
    output. A file someone edited after the release stopped is saved first, and the release's
    change is taken out of it when that merges cleanly; returns what was done with such files."""
    journal = ctx.journal
    tag_at = gitops.resolve_commit(ctx.root, f"refs/tags/{journal.tag}")
    if tag_at is not None and tag_at in (journal.release_commit, gitops.head_commit(ctx.repo)):
        gitops.delete_tag(ctx.repo, journal.tag)
    gitops.move_branch_to(ctx.repo, journal.saved_head, [edit.path for edit in journal.edits])
    notes = _restore_files(ctx)
    remove_worktree(ctx)
    shutil.rmtree(ctx.staging, ignore_errors=True)
    journals.clear(ctx.git_dir)
    return notes


def _restore_files(ctx: Context) -> list[str]:
    backup = ctx.git_dir / BACKUP_NAME / time.strftime("%Y%m%d-%H%M%S")
    notes = []
    for edit in ctx.journal.edits:
        path = ctx.root / edit.path
        current = _current_text(path)
        if _edited_since_stop(edit, current):
            notes.append(_restore_edited(path, edit, current, backup / edit.path))
        elif edit.original is None:
            path.unlink(missing_ok=True)
        elif current != edit.original:
            write_atomic(path, edit.original.encode("utf-8"))
    return notes


def _restore_edited(path: Path, edit: FileEdit, current: str | None, backup: Path) -> str:
    """Keep a copy of the user's file, then take the release's change out of it."""
    if current is None:
        if edit.original is not None:
            write_atomic(path, edit.original.encode("utf-8"))
        return f"{edit.path}: deleted after the release stopped; restored as it was before it"
    write_atomic(backup, path.read_bytes())
    merged = take_out(current, edit.new, edit.original or "")
    if merged is not None and (merged.strip() or edit.original is not None):
        write_atomic(path, merged.encode("utf-8"))
        return f"{edit.path}: your edits are kept, without the release's change (a copy: {backup})"
    if edit.original is None:
        path.unlink(missing_ok=True)
    else:
        write_atomic(path, edit.original.encode("utf-8"))
    return f"{edit.path}: restored as it was before the release; your edited copy is {backup}"
