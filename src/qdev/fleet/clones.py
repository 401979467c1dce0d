"""Where each repo of the fleet is on disk, and `qdev fleet fetch`.

A repo listed by path is its work tree, read as it is (qdev fleet never fetches into, checks
out or edits a user's own work tree; `fleet sync` works in a separate git worktree). A repo
listed by URL is a clone qdev owns in the user cache:

    <cache>/qdev/fleet/clones/<name>-<hash of the URL>/

kept detached at origin's default branch. `fetch` clones what is missing and refreshes the
rest, in parallel; a repo that cannot be reached is reported and the others go on.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from qdev.errors import QdevError
from qdev.fleet.manifest import Fleet, Member

CACHE_VAR = "QDEV_FLEET_CACHE"
"""Moves qdev fleet's cache (clones, campaign journals, the status memo)."""


def cache_dir() -> Path:
    override = os.environ.get(CACHE_VAR)
    if override:
        return Path(override)
    if os.name == "posix" and sys.platform != "darwin":  # as platformdirs, minus its import
        base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
        return Path(base) / "qdev" / "fleet"
    from platformdirs import user_cache_path

    return user_cache_path("qdev") / "fleet"


def clone_dir(url: str) -> Path:
    tail = re.sub(r"[^A-Za-z0-9_.-]", "-", re.split(r"[/:]", url.rstrip("/"))[-1])
    tail = tail.removesuffix(".git")[:40] or "repo"
    return cache_dir() / "clones" / f"{tail}-{hashlib.sha256(url.encode()).hexdigest()[:12]}"


def resolved_url(fleet: Fleet, member: Member) -> str:
    """A local path URL is made absolute (relative to the fleet file); others are as written."""
    url = str(member.url)
    if "://" in url or re.match(r"^[\w.-]+@[\w.-]+:", url):
        return url
    path = Path(url).expanduser()
    return str(path if path.is_absolute() else (fleet.folder / path).resolve())


def workdir(fleet: Fleet, member: Member) -> Path:
    """The work tree qdev reads for `member` (it may not exist yet)."""
    if member.path is not None:
        return (fleet.folder / Path(member.path).expanduser()).resolve()
    return clone_dir(resolved_url(fleet, member))


def remote_env() -> dict[str, str]:
    from qdev.tools import process

    # Never hang on a password prompt where nobody answers (CI, a hundred repos at once).
    extra = {} if sys.stdin.isatty() else {"GIT_TERMINAL_PROMPT": "0"}
    return process.child_env({"GIT_SSH_COMMAND": _ssh_batch(), **extra})


def _ssh_batch() -> str:
    current = os.environ.get("GIT_SSH_COMMAND", "ssh")
    return current if "BatchMode" in current else f"{current} -o BatchMode=yes"


@dataclass(frozen=True)
class FetchResult:
    name: str
    action: str
    """cloned, updated, local (a work tree listed by path: not fetched), or failed."""
    detail: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.action != "failed"


def ensure_clone(fleet: Fleet, member: Member, *, refresh: bool) -> FetchResult:
    """Clone `member` when missing; with `refresh`, fetch and move to origin's default branch."""
    from filelock import FileLock

    started = time.monotonic()
    if member.path is not None:
        return FetchResult(member.name, "local", "a local work tree: read as it is")
    url = resolved_url(fleet, member)
    target = clone_dir(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(target) + ".lock"):
            action = _clone_or_refresh(url, target, member, refresh=refresh)
    except QdevError as exc:
        detail = _one_line(exc.message)
        return FetchResult(member.name, "failed", detail, time.monotonic() - started)
    return FetchResult(member.name, action, "", time.monotonic() - started)


def _clone_or_refresh(url: str, target: Path, member: Member, *, refresh: bool) -> str:
    import shutil
    import tempfile

    from qdev.tools import git

    if (target / ".git").is_dir():
        if not refresh:
            return "cached"
        git.fetch_origin(target, remote_env())
        _follow_origin(target, member)
        return "updated"
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".clone-"))
    try:
        git.clone(url, staging / "repo", remote_env())
        _follow_origin(staging / "repo", member)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging / "repo", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return "cloned"


def _follow_origin(root: Path, member: Member) -> None:
    """Check out origin's default branch, detached, and move the local branch of that name
    there too (the clone is qdev's: nobody works in it)."""
    from qdev.tools import git

    remote = f"refs/remotes/origin/{member.branch}" if member.branch else None
    if remote is None:
        remote = next(
            (r.target for r in git.refs(root) if r.name == "refs/remotes/origin/HEAD" and r.target),
            None,
        )
    if remote is None:
        return  # an empty repository: nothing to check out
    git.checkout_detached(root, remote)
    git.set_branch(root, remote.removeprefix("refs/remotes/origin/"), remote)


def _one_line(message: str) -> str:
    """git's own complaint (its `fatal:` line) when there is one, else the first line."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return fatal[0] if fatal else (lines[0] if lines else message)


def fetch(
    fleet: Fleet,
    members: Sequence[Member],
    *,
    jobs: int,
    done: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Clone or refresh every remote member in parallel, in the members' order."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(ensure_clone, fleet, m, refresh=True) for m in members]
        results = []
        for future in futures:
            result = future.result()
            if done is not None:
                done(result)
            results.append(result)
    return results


def refresh_profiles(roots: Sequence[Path], *, jobs: int) -> list[tuple[str, str | None]]:
    """Fetch the newest tags of every git profile the repos at `roots` name (one fetch each).

    Returns (URL, None) for each profile refreshed, (URL, error) for each that failed.
    """
    from qdev.profile import state as state_file

    sources: dict[str, Path] = {}
    for root in roots:
        try:
            recorded = state_file.read(root)
        except QdevError:
            continue
        if recorded is not None and recorded.commit is not None and recorded.source != "builtin":
            sources.setdefault(recorded.source, root)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda item: _refresh_profile(*item), sources.items()))


def _refresh_profile(url: str, root: Path) -> tuple[str, str | None]:
    from qdev.profile import cache

    try:
        cache.refresh(url, relative_to=root)
    except QdevError as exc:
        return url, _one_line(exc.message)
    return url, None
