"""The guards a release must pass. Each refuses with GuardRefused (exit 4), the reason and the fix,
before anything is written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from qdev.errors import GuardRefused, QdevError
from qdev.redact import mask_credentials
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


def has_commits(head: str | None) -> None:
    if head is None:
        raise GuardRefused(
            "the repository has no commits yet",
            fix='commit the project first: git add --all && git commit -m "feat: first version"',
        )


# git's lock files: each exists only while a git command runs, unless one was killed.
_LOCKS_HERE = ("index.lock", "HEAD.lock")
_LOCKS_SHARED = ("packed-refs.lock", "config.lock", "shallow.lock")


def git_unlocked(repo: git.Repo) -> None:
    """Refuse while a git lock file exists: the release's git commands would fail midway."""
    here, shared = gitops.git_dir(repo), gitops.common_dir(repo)
    found = [here / name for name in _LOCKS_HERE] + [shared / name for name in _LOCKS_SHARED]
    locks = [path for path in found if path.exists()]
    refs = shared / "refs"
    if refs.is_dir():
        locks += sorted(refs.rglob("*.lock"))
    if not locks:
        return
    top = Path(repo.working_tree_dir or ".")
    shown = [_relative(path, top) for path in locks]
    raise GuardRefused(
        f"git's lock file {', '.join(shown)} exists: another git command is running in this "
        "repository, or one was killed and left it behind",
        fix=f"if no git command is running, remove it: rm {' '.join(shown)}",
    )


def _relative(path: Path, top: Path) -> str:
    try:
        return str(path.relative_to(top))
    except ValueError:
        return str(path)


def history_complete(repo: git.Repo, previous_tag: str | None) -> None:
    """In a shallow clone, refuse unless the history since the last release tag is all there:
    the bump and the changelog are read from it."""
    if not gitops.is_shallow(repo):
        return
    cut = gitops.shallow_boundaries(repo)
    if previous_tag is not None and all(
        gitops.is_ancestor(repo, sha, f"refs/tags/{previous_tag}") for sha in cut
    ):
        return
    since = f"since {previous_tag}" if previous_tag else "back to the last release tag"
    raise GuardRefused(
        f"this clone is shallow: the history {since} is not all here, so the bump and the "
        "changelog cannot be read from it",
        fix="fetch the whole history and the tags: git fetch --unshallow --tags  "
        "(in CI: actions/checkout with fetch-depth: 0)",
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


@dataclass(frozen=True)
class RemoteCheck:
    """What the remote guard compares: the branch, the new tag, and the release tags."""

    branch: str
    tag: str | None
    """The new tag, None when there is no new version to compare (a dry run with no commits)."""
    tag_pattern: re.Pattern[str]
    latest: Version | None
    """The version of the last release tag this clone has, None without one."""


def remote_ready(
    repo: git.Repo, remote: str | None, check: RemoteCheck, *, push: bool
) -> list[str]:
    """The remote guards; returns notes about checks that could not be made."""
    if remote is None:
        if push:
            raise GuardRefused(
                "release.push is on, but the repository has no remote to push to",
                fix="git remote add origin URL, or release locally with --no-push",
            )
        return []
    note = remote_state(repo, remote, check, required=push)
    return [note] if note else []


def remote_state(repo: git.Repo, remote: str, check: RemoteCheck, *, required: bool) -> str | None:
    """Refuse when HEAD is behind the remote's branch, the remote has the tag, or the remote has
    release tags above this clone's last one (a clone made without its tags); ask the remote
    itself (ls-remote), not a possibly stale tracking ref, and write nothing locally.

    Returns a note when the remote could not be reached and `required` is false.
    """
    branch, tag = check.branch, check.tag
    try:
        refs = gitops.ls_remote(repo, remote, f"refs/heads/{branch}", "refs/tags/*")
    except QdevError as exc:
        reason = mask_credentials(exc.message)
        if not required:
            return f"remote {remote} not reachable, not compared: {reason}"
        raise GuardRefused(
            f"cannot reach the remote {remote} to compare with it: {reason}",
            fix="check the network and the remote URL, or release locally with --no-push",
        ) from None
    if tag is not None and f"refs/tags/{tag}" in refs:
        raise GuardRefused(
            f"the remote {remote} has the tag {tag} already",
            fix=f"git fetch --tags {remote}, then release a greater version",
        )
    _no_missing_release_tags(repo, remote, refs, check)
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


def _no_missing_release_tags(
    repo: git.Repo, remote: str, refs: dict[str, str], check: RemoteCheck
) -> None:
    local = set(gitops.tag_list(gitops.work_tree(repo)))
    missing: list[tuple[Version, str]] = []
    for ref in refs:
        name = ref.removeprefix("refs/tags/")
        match = check.tag_pattern.match(name) if ref.startswith("refs/tags/") else None
        if match is None or name in local:
            continue
        try:
            version = Version(match.group("version"))
        except InvalidVersion:
            continue
        if check.latest is None or version > check.latest:
            missing.append((version, name))
    if missing:
        names = ", ".join(name for _, name in sorted(missing, reverse=True)[:5])
        raise GuardRefused(
            f"the remote {remote} has release tags this clone lacks ({names}), so the last "
            "release and the history since it cannot be read here",
            fix=f"fetch them: git fetch --tags {remote}",
        )


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
