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
from qdev.release.journal import Journal
from qdev.tools import git as gitops
from qdev.tools import process

if TYPE_CHECKING:
    import git

    from qdev.release.plan import ReleasePlan

FAULT_ENV = "QDEV_RELEASE_FAIL_AT"
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
    head = gitops.head_commit(ctx.repo)
    if (
        head != ctx.journal.saved_head
        and ctx.repo.head.commit.summary == ctx.journal.commit_message
    ):
        return  # committed before a crash, the journal did not get to say so
    paths = [edit.path for edit in ctx.journal.edits]
    gitops.run(ctx.repo, "add", "--", *paths)
    gitops.run(
        ctx.repo, "commit", "--no-verify", "-q", "-m", ctx.journal.commit_message, "--", *paths
    )


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
    remote, branch, tag = ctx.journal.remote, ctx.journal.branch, ctx.journal.tag
    assert remote is not None
    if _remote_has_tag(ctx):
        return
    try:
        gitops.push_atomic(
            ctx.repo,
            remote,
            f"refs/heads/{branch}:refs/heads/{branch}",
            f"refs/tags/{tag}:refs/tags/{tag}",
        )
    except QdevError:
        if _remote_has_tag(ctx):  # the push went through and only the answer got lost
            return
        raise


def _remote_has_tag(ctx: _Context) -> bool:
    if ctx.journal.remote is None:
        return False
    try:
        refs = gitops.ls_remote(ctx.repo, ctx.journal.remote, f"refs/tags/{ctx.journal.tag}")
    except QdevError:
        return False
    return bool(refs)


def step_publish(ctx: _Context) -> None:
    assert ctx.journal.publish_url is not None
    files = sorted(str(path) for path in ctx.dist.iterdir() if path.suffix in (".whl", ".gz"))
    argv = [process.find_uv(), "publish", "--no-config", "--publish-url", ctx.journal.publish_url]
    if ctx.journal.check_url:
        argv += ["--check-url", ctx.journal.check_url]
    # Credentials come only from the environment (UV_PUBLISH_*) or a keyring, never a repo file.
    result = process.run(
        [*argv, *files], cwd=ctx.staging, env=process.child_env(), timeout=BUILD_TIMEOUT
    )
    if not result.ok:
        raise ReleaseFailed(f"uv publish failed:\n{result.output.strip()}")


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
    journals.save(git_dir, ctx.journal)
    return _run(ctx, progress)


def resume(root: Path, progress: Progress | None = None) -> Outcome:
    """`--continue`: finish a release that failed after its push or was killed."""
    ctx = _context(root)
    if ctx is None:
        raise UsageError("no release is in progress here", fix="start one with qdev release")
    _same_branch(ctx)
    return _run(ctx, progress)


def abort(root: Path) -> Outcome:
    """`--abort`: undo a release that has not been pushed; after the push, only forget it."""
    ctx = _context(root)
    if ctx is None:
        raise UsageError("no release is in progress here", fix="nothing to abort")
    _same_branch(ctx)
    if ctx.journal.pushed or (ctx.journal.current == "push" and _remote_has_tag(ctx)):
        shutil.rmtree(ctx.staging, ignore_errors=True)
        journals.clear(ctx.git_dir)
        left = ", ".join(ctx.journal.remaining) or "nothing"
        return Outcome(
            ctx.journal.version,
            ctx.journal.tag,
            ctx.journal.done,
            message=f"{ctx.journal.tag} was pushed already, so nothing was undone; the journal is "
            f"cleared (steps not done: {left})",
        )
    rollback(ctx)
    return Outcome(ctx.journal.version, ctx.journal.tag, [], message="the release was undone")


def _same_branch(ctx: _Context) -> None:
    branch = gitops.current_branch(ctx.repo)
    if branch != ctx.journal.branch:
        raise GuardRefused(
            f"the half-done release {ctx.journal.tag} was started on {ctx.journal.branch}, "
            f"and this repository is on {branch or 'a detached HEAD'}",
            fix=f"git switch {ctx.journal.branch}, then --continue or --abort",
        )


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
        journal.done.append(step)
        journal.current = None
        journals.save(ctx.git_dir, journal)
        if progress:
            progress(step, DESCRIPTIONS[step])
    artifacts = _deliver(ctx)
    journals.clear(ctx.git_dir)
    return Outcome(journal.version, journal.tag, list(journal.done), artifacts)


def _failed(ctx: _Context, step: str, exc: BaseException) -> QdevError:
    journal = ctx.journal
    reason = exc.render() if isinstance(exc, QdevError) else f"{type(exc).__name__}: {exc}"
    if isinstance(exc, KeyboardInterrupt):
        reason = "interrupted"
    if journal.pushed or step == "publish":
        done = ", ".join(journal.done) or "nothing"
        kept = (
            f"{journal.tag} is pushed and stays"
            if journal.pushed
            else "kept: files may be on the index"
        )

        left = ", ".join(journal.remaining)
        return ReleaseFailed(
            f"release {journal.tag}: step {step} failed: {reason}\n"
            f"  done: {done} ({kept})\n  remaining: {left}",
            fix="fix the cause, then run `qdev release --continue`",
        )
    try:
        rollback(ctx)
    except BaseException as undo_exc:
        return ReleaseFailed(
            f"release {journal.tag}: step {step} failed: {reason}\n"
            f"  and rolling back failed too: {undo_exc}",
            fix="the journal is kept: run `qdev release --abort` to try the rollback again",
        )
    message = f"release {journal.tag}: step {step} failed: {reason}\n  rolled back: nothing changed"
    if isinstance(exc, KeyboardInterrupt):
        return Interrupted(message)
    return ReleaseFailed(message, fix="fix the cause and release again")


def rollback(ctx: _Context) -> None:
    """Back to the state the release started from: HEAD, index, files; no tag, no build output."""
    journal = ctx.journal
    if gitops.tag_exists(ctx.repo, journal.tag):
        gitops.delete_tag(ctx.repo, journal.tag)
    gitops.reset_index_to(ctx.repo, journal.saved_head)
    for edit in journal.edits:
        path = ctx.root / edit.path
        if edit.original is None:
            path.unlink(missing_ok=True)
        elif not path.exists() or path.read_bytes() != edit.original.encode("utf-8"):
            write_atomic(path, edit.original.encode("utf-8"))
    _remove_worktree(ctx)
    shutil.rmtree(ctx.staging, ignore_errors=True)
    journals.clear(ctx.git_dir)


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
