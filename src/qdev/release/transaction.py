"""The release transaction: each step journaled before it runs; any failure before the push rolls
back to exactly the state before the release; a failure after the push keeps what was pushed.

Fault injection for tests: QDEV_RELEASE_FAIL_AT="<step>[:action][,...]" where action is
`fail` (raise before the step), `fail-after` (raise after the step did its work), `kill` or
`kill-after` (SIGKILL the process before or after the step, as a crash would), `term` or
`term-after` (SIGTERM, as a CI runner cancelling the job or Ctrl-C would).
"""

from __future__ import annotations

import os
import shutil
import signal
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name
from packaging.version import Version

from qdev.errors import ExitCode, GuardRefused, Interrupted, QdevError, UsageError
from qdev.fileio import write_atomic
from qdev.release import journal as journals
from qdev.release.journal import FileEdit, Journal
from qdev.release.reverse import take_out
from qdev.tools import git as gitops
from qdev.tools import process

if TYPE_CHECKING:
    import git

    from qdev.release.plan import ReleasePlan

FAULT_ENV = "QDEV_RELEASE_FAIL_AT"
BACKUP_NAME = "qdev-release-backup"
BUILD_TIMEOUT = 900.0
Progress = Callable[[str, str], None]


class ReleaseFailed(QdevError):
    """A step of the release failed; the message says what was done and what remains."""

    exit_code = ExitCode.CHECKS_FAILED


@dataclass
class Outcome:
    version: str
    tag: str
    done: list[str]
    artifacts: list[str] = field(default_factory=list)
    message: str = ""


@dataclass
class _Context:
    repo: git.Repo
    root: Path
    git_dir: Path
    journal: Journal
    push_cut_short: bool = False
    """A push was started and did not run to its end: the remote may still take it."""
    upload_cut_short: bool = False
    """An upload was started and did not run to its end: the index may have the file."""
    publish_env: dict[str, str] = field(default_factory=dict)
    """Credentials for uv publish that came with an index URL set in the environment."""

    @property
    def staging(self) -> Path:
        return journals.staging_dir(self.git_dir)

    @property
    def dist(self) -> Path:
        return self.staging / "dist"


def _inject(step: str, when: str) -> None:
    for item in os.environ.get(FAULT_ENV, "").split(","):
        name, _, action = item.strip().partition(":")
        if name != step:
            continue
        action = action or "fail"
        if action == f"kill{when}":
            os.kill(os.getpid(), signal.SIGKILL)
        if action == f"term{when}":
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler interrupts this sleep
        if action == f"fail{when}":
            raise ReleaseFailed(f"injected failure ({FAULT_ENV}={item.strip()})")


# --- the steps ---------------------------------------------------------------------------------


def _write_edits(ctx: _Context, paths: list[str]) -> None:
    for edit in ctx.journal.edits:
        if edit.path in paths:
            write_atomic(ctx.root / edit.path, edit.new.encode("utf-8"))


def step_version(ctx: _Context) -> None:
    changelog = _changelog_path(ctx.journal)
    _write_edits(ctx, [edit.path for edit in ctx.journal.edits if edit.path != changelog])


def step_changelog(ctx: _Context) -> None:
    changelog = _changelog_path(ctx.journal)
    _write_edits(ctx, [changelog] if changelog else [])


def _changelog_path(journal: Journal) -> str | None:
    return journal.edits[-1].path if "changelog" in journal.steps and journal.edits else None


def step_commit(ctx: _Context) -> None:
    journal = ctx.journal
    head = gitops.head_commit(ctx.repo)
    if head is not None and head == journal.release_commit:
        return
    if head != journal.saved_head:
        parent, summary = gitops.commit_parent_and_summary(ctx.repo, str(head))
        if parent == journal.saved_head and summary == journal.commit_message:
            journal.release_commit = head  # committed before a crash, not yet journaled
            return
    # The files may have been put aside (git stash) after a crash: write them again.
    paths = [edit.path for edit in journal.edits]
    _write_edits(ctx, paths)
    gitops.run(ctx.repo, "add", "--", *paths)
    gitops.run(ctx.repo, "commit", "--no-verify", "-q", "-m", journal.commit_message, "--", *paths)
    journal.release_commit = gitops.head_commit(ctx.repo)


def step_tag(ctx: _Context) -> None:
    tag = ctx.journal.tag
    if gitops.tag_exists(ctx.repo, tag):
        if gitops.rev_parse(ctx.repo, tag) == gitops.head_commit(ctx.repo):
            return
        gitops.delete_tag(ctx.repo, tag)
    gitops.create_tag(ctx.repo, tag, ctx.journal.tag_message, sign=ctx.journal.sign)


def step_build(ctx: _Context) -> None:
    """uv build in a throwaway worktree of the release commit: build backends that write into
    the source folder (setuptools' build/ and *.egg-info) never touch the user's tree. The
    wheel is built from the sdist, so a file missing from the sdist fails the release."""
    shutil.rmtree(ctx.dist, ignore_errors=True)
    source = ctx.staging / "source"
    _remove_worktree(ctx)
    gitops.run(ctx.repo, "worktree", "add", "--detach", "--force", str(source), "HEAD")
    project = source / ctx.journal.project_dir
    try:
        result = process.run(
            [process.find_uv(), "build", "--out-dir", str(ctx.dist), str(project)],
            cwd=project,
            timeout=BUILD_TIMEOUT,
        )
    finally:
        _remove_worktree(ctx)
    if not result.ok:
        raise ReleaseFailed(f"uv build failed:\n{result.output.strip()}")
    wheels = list(ctx.dist.glob("*.whl"))
    sdists = list(ctx.dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise ReleaseFailed(
            f"uv build made {len(wheels)} wheels and {len(sdists)} sdists, not one each"
        )


def _remove_worktree(ctx: _Context) -> None:
    source = ctx.staging / "source"
    if source.exists():
        gitops.run_status(ctx.repo, "worktree", "remove", "--force", str(source))
        shutil.rmtree(source, ignore_errors=True)
    gitops.run_status(ctx.repo, "worktree", "prune")


def import_name(wheel: Path, distribution: str) -> str:
    """The top-level package a wheel installs, preferring the one named like the distribution."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    packages = sorted(
        {
            name.split("/")[0]
            for name in names
            if name.count("/") == 1 and name.endswith("/__init__.py") and ".dist-info" not in name
        }
        | {name[:-3] for name in names if "/" not in name and name.endswith(".py")}
    )
    wanted = canonicalize_name(distribution).replace("-", "_")
    if wanted in packages:
        return wanted
    if not packages:
        raise ReleaseFailed(f"the wheel {wheel.name} holds no importable package")
    return packages[0]


_PROBE = """
import importlib, importlib.metadata, sys
module = importlib.import_module(sys.argv[1])
print(importlib.metadata.version(sys.argv[2]))
print(getattr(module, "__version__", ""))
"""


def step_verify(ctx: _Context) -> None:
    wheel = next(ctx.dist.glob("*.whl"))
    venv = ctx.staging / "verify-venv"
    shutil.rmtree(venv, ignore_errors=True)
    uv = process.find_uv()
    env = process.child_env(drop=("VIRTUAL_ENV", "PYTHONPATH"))
    steps = [
        [uv, "venv", "--quiet", str(venv)],
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)],
    ]
    for argv in steps:
        result = process.run(argv, cwd=ctx.staging, env=env, timeout=BUILD_TIMEOUT)
        if not result.ok:
            raise ReleaseFailed(f"verify: {' '.join(argv[1:3])} failed:\n{result.output.strip()}")
    package = import_name(wheel, ctx.journal.package)
    probe = process.run(
        [str(venv / "bin" / "python"), "-c", _PROBE, package, ctx.journal.package],
        cwd=ctx.staging,
        env=env,
        timeout=120,
    )
    if not probe.ok:
        raise ReleaseFailed(
            f"verify: importing {package} from the wheel failed:\n{probe.output.strip()}"
        )
    meta, *rest = [*probe.stdout.splitlines(), ""]
    expected = Version(ctx.journal.version)
    attribute = rest[0].strip() if rest else ""
    if Version(meta) != expected or (attribute and Version(attribute) != expected):
        raise ReleaseFailed(
            f"verify: the wheel says version {meta}"
            + (f" and {package}.__version__ says {attribute}" if attribute else "")
            + f", not {ctx.journal.version}",
            fix="make the package read its version from the same place (or name the file in "
            "release.version_files)",
        )


def step_push(ctx: _Context) -> None:
    """Push the branch and the tag together. The push runs in its own process group and a first
    Ctrl-C or SIGTERM waits for it (a second one ends it): cut short, a push may land anyway."""
    remote, branch, tag = ctx.journal.remote, ctx.journal.branch, ctx.journal.tag
    assert remote is not None
    if _remote_holds(ctx) == "all":
        return

    def started(pgid: int) -> None:
        ctx.journal.push_pgid = pgid
        journals.save(ctx.git_dir, ctx.journal)

    ctx.push_cut_short = True
    result = gitops.push_atomic(
        ctx.repo,
        remote,
        f"refs/heads/{branch}:refs/heads/{branch}",
        f"refs/tags/{tag}:refs/tags/{tag}",
        on_start=started,
        patient=_say_waiting,
    )
    ctx.push_cut_short = False
    ctx.journal.push_pgid = None
    if result.interrupted:
        raise KeyboardInterrupt
    if not result.ok:
        raise ReleaseFailed(f"git push failed: {result.output.strip()}")


def _say_waiting() -> None:
    # Called from a signal handler: one plain write, nothing that could hold a lock.
    os.write(
        2,
        b"qdev: waiting for the push to finish, so local and remote stay the same "
        b"(interrupt again to stop it; then `qdev release --continue` or --abort)\n",
    )


RemoteHolds = str
"""What the remote holds of the release: "all" (branch and tag), "some" (only the branch at the
release commit), "none", or "unknown" (it could not be asked)."""


def _remote_holds(ctx: _Context) -> RemoteHolds:
    journal = ctx.journal
    if journal.remote is None:
        return "none"
    try:
        refs = gitops.ls_remote(
            ctx.repo, journal.remote, f"refs/heads/{journal.branch}", f"refs/tags/{journal.tag}"
        )
    except QdevError:
        return "unknown"
    theirs_tag = refs.get(f"refs/tags/{journal.tag}")
    local_tag = gitops.tag_object(ctx.repo, journal.tag)
    if theirs_tag and theirs_tag == (local_tag or theirs_tag):
        return "all"
    theirs_branch = refs.get(f"refs/heads/{journal.branch}")
    if theirs_branch and theirs_branch == journal.release_commit:
        return "some"
    return "none"


def step_publish(ctx: _Context) -> None:
    """Upload each built file that the index does not have yet, one at a time, journaling each:
    a retry (--continue) sends only what is missing, even to an index qdev cannot query."""
    assert ctx.journal.publish_url is not None
    files = sorted(path for path in ctx.dist.iterdir() if path.suffix in (".whl", ".gz"))
    if not files:
        raise ReleaseFailed(
            "the built files are gone from the staging folder",
            fix="run `qdev release --continue` again: it builds them again first",
        )
    argv = [process.find_uv(), "publish", "--no-config", "--publish-url", ctx.journal.publish_url]
    if ctx.journal.check_url:
        argv += ["--check-url", ctx.journal.check_url]
    # Credentials come only from the environment (UV_PUBLISH_*), a keyring, or a URL set in the
    # environment (passed the same way), never from a repo file nor on the command line.
    env = process.child_env(ctx.publish_env)
    for path in files:
        if path.name in ctx.journal.published:
            continue
        ctx.upload_cut_short = True
        result = process.run([*argv, str(path)], cwd=ctx.staging, env=env, timeout=BUILD_TIMEOUT)
        ctx.upload_cut_short = False
        if not result.ok:
            raise ReleaseFailed(f"uv publish of {path.name} failed:\n{result.output.strip()}")
        ctx.journal.published.append(path.name)
        journals.save(ctx.git_dir, ctx.journal)


STEPS: dict[str, Callable[[_Context], None]] = {
    "version": step_version,
    "changelog": step_changelog,
    "commit": step_commit,
    "tag": step_tag,
    "build": step_build,
    "verify": step_verify,
    "push": step_push,
    "publish": step_publish,
}

DESCRIPTIONS = {
    "version": "write the new version into the version files",
    "changelog": "add the release's section to the changelog",
    "commit": "commit the version files and the changelog",
    "tag": "create the annotated tag",
    "build": "build the sdist and the wheel with uv build",
    "verify": "install the wheel into a throwaway environment and import it",
    "push": "push the commit and the tag together (git push --atomic)",
    "publish": "publish the sdist and the wheel with uv publish",
}


# --- running, resuming, undoing ----------------------------------------------------------------


def _context(root: Path) -> _Context | None:
    repo = gitops.open_repo(root)
    git_dir = gitops.git_dir(repo)
    journal = journals.load(git_dir)
    if journal is None:
        return None
    return _Context(repo, Path(repo.working_tree_dir or root), git_dir, journal)


def execute(plan: ReleasePlan, progress: Progress | None = None) -> Outcome:
    """Run a planned release from its first step."""
    repo = gitops.open_repo(plan.root)
    git_dir = gitops.git_dir(repo)
    ctx = _Context(repo, plan.root, git_dir, plan.journal())
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
    _ready_to_touch(ctx)
    changed = _changed_since_stop(ctx)
    if changed:
        raise _edited_refusal(ctx, changed)
    if publish_auth is not None and ctx.journal.publish_url:
        ctx.publish_env = _publish_env(publish_auth(ctx.journal.publish_url))
    if ctx.journal.current == "push" and not ctx.journal.pushed:
        holds = _remote_holds(ctx)
        if holds == "all":
            _mark_done(ctx, "push")
    return _run(ctx, progress)


def abort(root: Path) -> Outcome:
    """`--abort`: undo a release that nothing public has come of; after a push or once
    publishing started, only forget it (what the remote or the index may hold stays)."""
    ctx = _context(root)
    if ctx is None:
        raise UsageError("no release is in progress here", fix="nothing to abort")
    _ready_to_touch(ctx)
    journal = ctx.journal
    if journal.current == "push" and not journal.pushed:
        holds = _remote_holds(ctx)
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


def _forget(ctx: _Context) -> Outcome:
    """Clear the journal of a release that is (partly) public; keep the built files in dist/."""
    journal = ctx.journal
    public = []
    if journal.pushed:
        public.append(f"{journal.tag} was pushed already")
    if journal.published:
        public.append(f"the index has {', '.join(journal.published)}")
    elif "publish" in journal.done or journal.current == "publish":
        public.append("files may be on the index")
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


def _ready_to_touch(ctx: _Context) -> None:
    """The checks --continue and --abort share: right branch, no git lock, no push of the
    stopped release still running, HEAD where the release left it."""
    _same_branch(ctx)
    from qdev.release import guards

    guards.git_unlocked(ctx.repo)
    pgid = ctx.journal.push_pgid
    if pgid is not None and _group_alive(pgid):
        raise GuardRefused(
            f"the push of {ctx.journal.tag} started by the stopped release is still running "
            f"(process group {pgid}): until it ends, the remote may still take it",
            fix="wait for it to end (or end it: kill -- -{pgid}), then run the command again",
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


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _head_moved(ctx: _Context) -> str | None:
    """HEAD when it is neither where the release started nor the release commit, else None.

    A release commit made just before a crash (the journal did not get to record it) is
    recognised by its parent and message, and recorded.
    """
    journal = ctx.journal
    head = gitops.head_commit(ctx.repo)
    if head is None or head in (journal.saved_head, journal.release_commit):
        return None
    if journal.release_commit is None and "commit" in journal.steps:
        parent, summary = gitops.commit_parent_and_summary(ctx.repo, head)
        if parent == journal.saved_head and summary == journal.commit_message:
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


def _changed_since_stop(ctx: _Context) -> list[str]:
    """The release's files that hold neither their text before the release nor the release's:
    someone edited them after the release stopped."""
    return [
        edit.path
        for edit in ctx.journal.edits
        if _current_text(ctx.root / edit.path) not in (edit.original, edit.new)
    ]


def _edited_refusal(ctx: _Context, changed: list[str]) -> GuardRefused:
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


def _same_branch(ctx: _Context) -> None:
    branch = gitops.current_branch(ctx.repo)
    if branch != ctx.journal.branch:
        raise GuardRefused(
            f"the half-done release {ctx.journal.tag} was started on {ctx.journal.branch}, "
            f"and this repository is on {branch or 'a detached HEAD'}",
            fix=f"git switch {ctx.journal.branch}, then --continue or --abort",
        )


def _mark_done(ctx: _Context, step: str) -> None:
    journal = ctx.journal
    if step not in journal.done:
        journal.done.append(step)
    journal.current = None
    journal.push_pgid = None if step == "push" else journal.push_pgid
    journals.save(ctx.git_dir, journal)


def _run(ctx: _Context, progress: Progress | None) -> Outcome:
    journal = ctx.journal
    for step in journal.remaining:
        journal.current = step
        journals.save(ctx.git_dir, journal)
        try:
            _inject(step, "")
            STEPS[step](ctx)
            _inject(step, "-after")
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


def _failed(ctx: _Context, step: str, exc: BaseException) -> QdevError:
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


def _after_push_attempt(ctx: _Context) -> str | None:
    """After a push failed or was interrupted: None when the remote certainly holds nothing
    (roll back), else what to tell the user, with the journal saying what the remote holds."""
    journal = ctx.journal
    holds = _remote_holds(ctx)
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


def _kept(ctx: _Context, headline: str, *, interrupted: bool) -> QdevError:
    journal = ctx.journal
    done = ", ".join(journal.done) or "nothing"
    public = []
    if journal.pushed:
        public.append(f"{journal.tag} is pushed and stays")
    if journal.published:
        public.append(f"the index has {', '.join(journal.published)}")
    elif ctx.upload_cut_short:
        public.append("an upload was cut short: the index may have it")
    left = ", ".join(journal.remaining) or "nothing"
    kept = f" ({'; '.join(public)})" if public else ""
    message = f"{headline}\n  done: {done}{kept}\n  remaining: {left}"
    fix = "fix the cause, then run `qdev release --continue`"
    if interrupted:
        return Interrupted(message, fix="run `qdev release --continue` to finish it")
    return ReleaseFailed(message, fix=fix)


def rollback(ctx: _Context) -> list[str]:
    """Back to the state the release started from: HEAD, the release's files, no tag, no build
    output. A file someone edited after the release stopped is saved first, and the release's
    change is taken out of it when that merges cleanly; returns what was done with such files."""
    journal = ctx.journal
    tag_at = gitops.rev_parse(ctx.repo, f"refs/tags/{journal.tag}")
    if tag_at is not None and tag_at in (journal.release_commit, gitops.head_commit(ctx.repo)):
        gitops.delete_tag(ctx.repo, journal.tag)
    gitops.move_branch_to(ctx.repo, journal.saved_head, [edit.path for edit in journal.edits])
    notes = _restore_files(ctx)
    _remove_worktree(ctx)
    shutil.rmtree(ctx.staging, ignore_errors=True)
    journals.clear(ctx.git_dir)
    return notes


def _restore_files(ctx: _Context) -> list[str]:
    changed = set(_changed_since_stop(ctx))
    backup = ctx.git_dir / BACKUP_NAME / time.strftime("%Y%m%d-%H%M%S")
    notes = []
    for edit in ctx.journal.edits:
        path = ctx.root / edit.path
        current = _current_text(path)
        if edit.path in changed:
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


def _deliver(ctx: _Context) -> list[str]:
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
