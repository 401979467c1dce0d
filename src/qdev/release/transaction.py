"""The release transaction: each step journaled before it runs; any failure before the push rolls
back to exactly the state before the release; once a push or a publish started, nothing that may
be public is undone and `--continue` finishes. The steps live in `steps`, the checks and the
rollback of `--continue` and `--abort` in `recovery`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qdev.errors import GuardRefused, Interrupted, QdevError, UsageError
from qdev.fileio import write_atomic
from qdev.release import journal as journals
from qdev.release.recovery import changed_since_stop, edited_refusal, ready_to_touch, rollback
from qdev.release.steps import (
    DESCRIPTIONS,
    STEPS,
    Context,
    ReleaseFailed,
    inject,
    remote_holds,
)
from qdev.tools import git as gitops

if TYPE_CHECKING:
    from qdev.release.plan import ReleasePlan

__all__ = ["DESCRIPTIONS", "Outcome", "ReleaseFailed", "abort", "execute", "resume"]

Progress = Callable[[str, str], None]


@dataclass
class Outcome:
    version: str
    tag: str
    done: list[str]
    artifacts: list[str] = field(default_factory=list)
    message: str = ""


def _context(root: Path) -> Context | None:
    repo = gitops.open_repo(root)
    git_dir = gitops.git_dir(repo)
    journal = journals.load(git_dir)
    if journal is None:
        return None
    return Context(repo, Path(repo.working_tree_dir or root), git_dir, journal)


def execute(plan: ReleasePlan, progress: Progress | None = None) -> Outcome:
    """Run a planned release from its first step."""
    repo = gitops.open_repo(plan.root)
    git_dir = gitops.git_dir(repo)
    ctx = Context(repo, plan.root, git_dir, plan.journal())
    ctx.publish_env = _publish_env(plan.publish_auth)
    journals.save(git_dir, ctx.journal)
    return _run(ctx, progress)


def _publish_env(auth: tuple[str, str] | None) -> dict[str, str]:
    """Credentials from an index URL set in the environment, unless UV_PUBLISH_* are set."""
    if auth is None or any(
        name in os.environ for name in ("UV_PUBLISH_TOKEN", "UV_PUBLISH_USERNAME")
    ):
        return {}
    user, password = auth
    return {"UV_PUBLISH_USERNAME": user, "UV_PUBLISH_PASSWORD": password}


def resume(
    root: Path,
    progress: Progress | None = None,
    *,
    publish_auth: Callable[[str], tuple[str, str] | None] | None = None,
) -> Outcome:
    """`--continue`: finish a release that failed after its push or was killed.

    `publish_auth` gives the credentials for the journal's upload URL when the environment
    holds them in an index URL (they are never journaled).
    """
    ctx = _context(root)
    if ctx is None:
        raise UsageError("no release is in progress here", fix="start one with qdev release")
    ready_to_touch(ctx)
    changed = changed_since_stop(ctx)
    if changed:
        raise edited_refusal(ctx, changed)
    if publish_auth is not None and ctx.journal.publish_url:
        ctx.publish_env = _publish_env(publish_auth(ctx.journal.publish_url))
    if ctx.journal.current == "push" and not ctx.journal.pushed:
        holds = remote_holds(ctx)
        if holds == "all":
            _mark_done(ctx, "push")
    return _run(ctx, progress)


def abort(root: Path) -> Outcome:
    """`--abort`: undo a release that nothing public has come of; after a push or once
    publishing started, only forget it (what the remote or the index may hold stays)."""
    ctx = _context(root)
    if ctx is None:
        raise UsageError("no release is in progress here", fix="nothing to abort")
    ready_to_touch(ctx)
    journal = ctx.journal
    if journal.current == "push" and not journal.pushed:
        holds = remote_holds(ctx)
        if holds == "unknown":
            raise GuardRefused(
                f"cannot reach {journal.remote} to tell whether the push of {journal.tag} went "
                "through, so nothing was undone",
                fix="run `qdev release --abort` again when the remote can be reached (or "
                "`qdev release --continue` to finish the release)",
            )
        if holds in ("all", "some"):
            _mark_done(ctx, "push")
        else:  # the remote holds none of it and no push of it runs any more
            journal.current = None
    if journal.past_return:
        return _forget(ctx)
    kept = rollback(ctx)
    lines = ["the release was undone", *kept]
    return Outcome(journal.version, journal.tag, [], message="\n".join(lines))


def _forget(ctx: Context) -> Outcome:
    """Clear the journal of a release that is (partly) public; keep the built files in dist/."""
    journal = ctx.journal
    # After a crash, an upload that was under way may have reached the index.
    ctx.upload_cut_short = journal.current == "publish"
    public = _public(ctx, pushed="was pushed already")
    artifacts = _deliver(ctx)
    journals.clear(ctx.git_dir)
    left = ", ".join(journal.remaining) or "nothing"
    kept = f"; the built files are in {Path(artifacts[0]).parent}" if artifacts else ""
    return Outcome(
        journal.version,
        journal.tag,
        journal.done,
        artifacts,
        message=f"{' and '.join(public)}, so nothing was undone; the journal is cleared "
        f"(steps not done: {left}){kept}",
    )


def _public(ctx: Context, *, pushed: str) -> list[str]:
    """What of the release the world may have: the pushed tag, the files the index took."""
    journal = ctx.journal
    public = [f"{journal.tag} {pushed}"] if journal.pushed else []
    if journal.published:
        public.append(f"the index has {', '.join(journal.published)}")
    elif ctx.upload_cut_short:
        public.append("an upload was cut short: the index may have it")
    return public


def _mark_done(ctx: Context, step: str) -> None:
    journal = ctx.journal
    if step not in journal.done:
        journal.done.append(step)
    journal.current = None
    journal.push_pgid = None if step == "push" else journal.push_pgid
    journals.save(ctx.git_dir, journal)


def _run(ctx: Context, progress: Progress | None) -> Outcome:
    journal = ctx.journal
    for step in journal.remaining:
        journal.current = step
        journals.save(ctx.git_dir, journal)
        try:
            inject(step, "")
            STEPS[step](ctx)
            inject(step, "-after")
        except BaseException as exc:
            raise _failed(ctx, step, exc) from exc
        _mark_done(ctx, step)
        if progress:
            progress(step, DESCRIPTIONS[step])
    artifacts = _deliver(ctx)
    journals.clear(ctx.git_dir)
    return Outcome(journal.version, journal.tag, list(journal.done), artifacts)


def _interruption(exc: BaseException) -> bool:
    return isinstance(exc, KeyboardInterrupt | Interrupted)


def _failed(ctx: Context, step: str, exc: BaseException) -> QdevError:
    """The error for a failed step: rolled back while nothing is public, else kept for
    --continue. An interruption (Ctrl-C, SIGTERM) is exit 130 either way."""
    journal = ctx.journal
    interrupted = _interruption(exc)
    if interrupted:
        reason = "interrupted"
    else:
        reason = exc.render() if isinstance(exc, QdevError) else f"{type(exc).__name__}: {exc}"
    if interrupted:
        headline = f"release {journal.tag}: interrupted at step {step}"
    else:
        headline = f"release {journal.tag}: step {step} failed: {reason}"
    if step == "push" and not journal.pushed:
        kept = _after_push_attempt(ctx)
        if kept is not None:
            return _kept(ctx, f"{headline}\n  {kept}", interrupted=interrupted)
    elif journal.past_return:
        return _kept(ctx, headline, interrupted=interrupted)
    try:
        notes = rollback(ctx)
    except BaseException as undo_exc:
        return ReleaseFailed(
            f"{headline}\n  and rolling back failed too: {undo_exc}",
            fix="the journal is kept: run `qdev release --abort` to try the rollback again",
        )
    message = "\n  ".join([f"{headline}\n  rolled back: nothing changed", *notes])
    if interrupted:
        return Interrupted(message)
    return ReleaseFailed(message, fix="fix the cause and release again")


def _after_push_attempt(ctx: Context) -> str | None:
    """After a push failed or was interrupted: None when the remote certainly holds nothing
    (roll back), else what to tell the user, with the journal saying what the remote holds."""
    journal = ctx.journal
    holds = remote_holds(ctx)
    if holds == "all":
        _mark_done(ctx, "push")
        return f"the push went through: {journal.tag} is on {journal.remote}"
    if holds == "none" and not ctx.push_cut_short:
        return None
    journal.push_pgid = None
    journals.save(ctx.git_dir, journal)
    why = (
        f"{journal.remote} could not be asked whether it took the push"
        if holds == "unknown"
        else f"the push was cut short, so {journal.remote} may still take it"
        if holds == "none"
        else f"{journal.remote} has the release commit but not the tag"
    )
    return (
        f"{why}: nothing was rolled back. `qdev release --continue` pushes what is missing; "
        f"`qdev release --abort` undoes the release once {journal.remote} shows it holds none "
        "of it"
    )


def _kept(ctx: Context, headline: str, *, interrupted: bool) -> QdevError:
    journal = ctx.journal
    done = ", ".join(journal.done) or "nothing"
    public = _public(ctx, pushed="is pushed and stays")
    left = ", ".join(journal.remaining) or "nothing"
    kept = f" ({'; '.join(public)})" if public else ""
    message = f"{headline}\n  done: {done}{kept}\n  remaining: {left}"
    fix = "fix the cause, then run `qdev release --continue`"
    if interrupted:
        return Interrupted(message, fix="run `qdev release --continue` to finish it")
    return ReleaseFailed(message, fix=fix)


def _deliver(ctx: Context) -> list[str]:
    """Copy the built files to dist/ (git-ignored when qdev creates it) and drop the staging."""
    artifacts: list[str] = []
    if ctx.dist.is_dir():
        target = ctx.root / ctx.journal.project_dir / "dist"
        if not target.exists():
            write_atomic(target / ".gitignore", "*\n")
        for path in sorted(ctx.dist.iterdir()):
            if path.suffix in (".whl", ".gz"):
                write_atomic(target / path.name, path.read_bytes())
                artifacts.append(str(target / path.name))
    shutil.rmtree(ctx.staging, ignore_errors=True)
    return artifacts
