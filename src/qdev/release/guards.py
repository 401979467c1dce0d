"""The guards a release must pass. Each refuses with GuardRefused (exit 4), the reason and the fix,
before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from qdev.errors import GuardRefused, QdevError
from qdev.tools import git as gitops

if TYPE_CHECKING:
    import git


def no_release_in_progress(repo: git.Repo) -> None:
    from qdev.release.journal import load

    journal = load(gitops.git_dir(repo))
    if journal is not None:
        done = ", ".join(journal.done) or "nothing yet"
        raise GuardRefused(
            f"release {journal.version} is half-done (done: {done})",
            fix="finish it with `qdev release --continue` or undo it with `qdev release --abort`",
        )


def clean_tree(repo: git.Repo) -> None:
    status = gitops.run(repo, "status", "--porcelain", "--untracked-files=normal")
    if status.strip():
        shown = "\n".join(f"    {line}" for line in status.splitlines()[:10])
        raise GuardRefused(
            f"the working tree is not clean:\n{shown}",
            fix="commit or stash your changes (untracked files too), then release again",
        )


def on_branch(repo: git.Repo, branch: str) -> None:
    current = gitops.current_branch(repo)
    if current != branch:
        where = f"on {current}" if current else "on a detached HEAD"
        raise GuardRefused(
            f"releases are cut from {branch}, and this repository is {where}",
            fix=f"git switch {branch}   (or set release.branch in qdev.toml)",
        )


def commits_since(previous_tag: str | None, count: int) -> None:
    if previous_tag is not None and count == 0:
        raise GuardRefused(
            f"no commits since the last release ({previous_tag})",
            fix="there is nothing to release; commit changes first",
        )


def version_greater(new: str, current: str, *, first_release: bool) -> None:
    if Version(new) > Version(current) or (first_release and Version(new) == Version(current)):
        return
    raise GuardRefused(
        f"the new version {new} is not greater than the current version {current}",
        fix="name a greater version, or bump with major, minor or patch",
    )


def tag_absent(repo: git.Repo, tag: str) -> None:
    if gitops.tag_exists(repo, tag):
        raise GuardRefused(
            f"the tag {tag} exists already",
            fix=f"release a greater version, or delete the tag git tag -d {tag}",
        )


def remote_ready(
    repo: git.Repo, remote: str | None, branch: str, tag: str, *, push: bool
) -> list[str]:
    """The remote guards; returns notes about checks that could not be made."""
    if remote is None:
        if push:
            raise GuardRefused(
                "release.push is on, but the repository has no remote to push to",
                fix="git remote add origin URL, or release locally with --no-push",
            )
        return []
    note = remote_state(repo, remote, branch, tag, required=push)
    return [note] if note else []


def remote_state(
    repo: git.Repo, remote: str, branch: str, tag: str, *, required: bool
) -> str | None:
    """Refuse when HEAD is behind the remote's branch or the remote has the tag; ask the remote
    itself (ls-remote), not a possibly stale tracking ref, and write nothing locally.

    Returns a note when the remote could not be reached and `required` is false.
    """
    try:
        refs = gitops.ls_remote(repo, remote, f"refs/heads/{branch}", f"refs/tags/{tag}")
    except QdevError as exc:
        if not required:
            return f"remote {remote} not reachable, not compared: {exc.message}"
        raise GuardRefused(
            f"cannot reach the remote {remote} to compare with it: {exc.message}",
            fix="check the network and the remote URL, or release locally with --no-push",
        ) from None
    if f"refs/tags/{tag}" in refs:
        raise GuardRefused(
            f"the remote {remote} has the tag {tag} already",
            fix=f"git fetch --tags {remote}, then release a greater version",
        )
    theirs = refs.get(f"refs/heads/{branch}")
    head = gitops.head_commit(repo)
    behind = bool(theirs and head and theirs != head) and not (
        gitops.has_object(repo, str(theirs)) and gitops.is_ancestor(repo, str(theirs), str(head))
    )
    if behind:
        raise GuardRefused(
            f"{branch} is behind {remote}/{branch}: the remote has commits this clone lacks",
            fix=f"git pull --rebase {remote} {branch}, then release again",
        )
    return None


def checks_pass(root: Path) -> str:
    """'passed' when `qdev check` passes; 'pending' while qdev check is not installed."""
    try:
        from qdev.check import passes
    except ImportError:
        return "pending: qdev check is not available in this qdev, the guard was not run"
    ok, summary = passes(root)
    if not ok:
        raise GuardRefused(
            f"qdev check does not pass: {summary}",
            fix="run `qdev check` and fix what it reports, or release with --skip-checks",
        )
    return "passed"
