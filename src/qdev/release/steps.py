"""The steps of a release, each one safe to run again after a crash (it checks whether its work
is done), and the context they share.

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
from typing import TYPE_CHECKING, Literal

from packaging.utils import canonicalize_name
from packaging.version import Version

from qdev.errors import ExitCode, QdevError
from qdev.fileio import write_atomic
from qdev.release import journal as journals
from qdev.release.journal import Journal
from qdev.tools import git as gitops
from qdev.tools import process

if TYPE_CHECKING:
    import git

FAULT_ENV = "QDEV_RELEASE_FAIL_AT"
BUILD_TIMEOUT = 900.0


class ReleaseFailed(QdevError):
    """A step of the release failed; the message says what was done and what remains."""

    exit_code = ExitCode.CHECKS_FAILED


@dataclass
class Context:
    """What every step works on: the repository, its journal, and what the run found out."""

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


def inject(step: str, when: str) -> None:
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


def _write_edits(ctx: Context, paths: list[str]) -> None:
    for edit in ctx.journal.edits:
        if edit.path in paths:
            write_atomic(ctx.root / edit.path, edit.new.encode("utf-8"))


def step_version(ctx: Context) -> None:
    changelog = _changelog_path(ctx.journal)
    _write_edits(ctx, [edit.path for edit in ctx.journal.edits if edit.path != changelog])


def step_changelog(ctx: Context) -> None:
    changelog = _changelog_path(ctx.journal)
    _write_edits(ctx, [changelog] if changelog else [])


def _changelog_path(journal: Journal) -> str | None:
    return journal.edits[-1].path if "changelog" in journal.steps and journal.edits else None


def step_commit(ctx: Context) -> None:
    journal = ctx.journal
    head = gitops.head_commit(ctx.repo)
    if head is not None and head == journal.release_commit:
        return
    if head is not None and head != journal.saved_head and made_by_release(ctx, head):
        journal.release_commit = head  # committed before a crash, not yet journaled
        return
    # The files may have been put aside (git stash) after a crash: write them again.
    paths = [edit.path for edit in journal.edits]
    _write_edits(ctx, paths)
    gitops.run(ctx.repo, "add", "--", *paths)
    gitops.run(ctx.repo, "commit", "--no-verify", "-q", "-m", journal.commit_message, "--", *paths)
    journal.release_commit = gitops.head_commit(ctx.repo)


def made_by_release(ctx: Context, sha: str) -> bool:
    """Whether `sha` is a release commit the journal did not get to record: its parent is where
    the release started and its message is the release's."""
    facts = gitops.commit_facts(ctx.root, sha)
    if facts is None:
        return False
    parent, _, message = facts
    return (
        parent == ctx.journal.saved_head
        and message.partition("\n")[0] == ctx.journal.commit_message
    )


def step_tag(ctx: Context) -> None:
    tag = ctx.journal.tag
    if gitops.tag_exists(ctx.repo, tag):
        if gitops.resolve_commit(ctx.root, tag) == gitops.head_commit(ctx.repo):
            return
        gitops.delete_tag(ctx.repo, tag)
    gitops.create_tag(ctx.repo, tag, ctx.journal.tag_message, sign=ctx.journal.sign)


def step_build(ctx: Context) -> None:
    """uv build in a throwaway worktree of the release commit: build backends that write into
    the source folder (setuptools' build/ and *.egg-info) never touch the user's tree. The
    wheel is built from the sdist, so a file missing from the sdist fails the release."""
    shutil.rmtree(ctx.dist, ignore_errors=True)
    source = ctx.staging / "source"
    remove_worktree(ctx)
    gitops.run(ctx.repo, "worktree", "add", "--detach", "--force", str(source), "HEAD")
    project = source / ctx.journal.project_dir
    try:
        result = process.run(
            [process.find_uv(), "build", "--out-dir", str(ctx.dist), str(project)],
            cwd=project,
            timeout=BUILD_TIMEOUT,
        )
    finally:
        remove_worktree(ctx)
    if not result.ok:
        raise ReleaseFailed(f"uv build failed:\n{result.output.strip()}")
    wheels = list(ctx.dist.glob("*.whl"))
    sdists = list(ctx.dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise ReleaseFailed(
            f"uv build made {len(wheels)} wheels and {len(sdists)} sdists, not one each"
        )


def remove_worktree(ctx: Context) -> None:
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


def step_verify(ctx: Context) -> None:
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


def step_push(ctx: Context) -> None:
    """Push the branch and the tag together. The push runs in its own process group and a first
    Ctrl-C or SIGTERM waits for it (a second one ends it): cut short, a push may land anyway."""
    remote, branch, tag = ctx.journal.remote, ctx.journal.branch, ctx.journal.tag
    assert remote is not None
    if remote_holds(ctx) == "all":
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


RemoteHolds = Literal["all", "some", "none", "unknown"]
"""What the remote holds of the release: "all" (the tag), "some" (only the branch at the release
commit), "none", or "unknown" (it could not be asked)."""


def remote_holds(ctx: Context) -> RemoteHolds:
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


def step_publish(ctx: Context) -> None:
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


STEPS: dict[str, Callable[[Context], None]] = {
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
