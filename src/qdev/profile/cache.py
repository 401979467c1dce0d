"""Git profiles in the user's cache: fetched once, kept by commit, offline from then on.

    <cache>/qdev/profiles/mirrors/<name>-<hash>.git   a bare mirror of each profile repository
    <cache>/qdev/profiles/trees/<commit>/             the files of one commit: the profile folder
    <cache>/qdev/profiles/locks/                      one lock per mirror and per tree

A ref is looked up in the mirror first; only a ref the mirror lacks (or a followed branch, when
asked to refresh) costs a fetch. A tree is extracted once, into a temporary folder renamed into
place, so a reader never sees half a tree. File locks make concurrent qdev processes (xdist
workers, a fleet run, two terminals) fetch each repository once.

Authentication is git's own: ssh keys and agents, credential helpers, `.netrc`. A URL with a
password or token in it is refused, since qdev.toml is committed and cloned everywhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from qdev.errors import ExitCode, QdevError, UsageError

FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
SHORT_SHA = re.compile(r"^[0-9a-f]{7,40}$")
CACHE_DIR_VAR = "QDEV_PROFILE_CACHE"
"""Overrides where git profiles are cached (default: the XDG cache folder)."""


class ProfileUnavailable(QdevError):
    """The profile repository cannot be reached, or lacks the ref (exit 3)."""

    exit_code = ExitCode.MISSING_TOOL


_RESOLVED: dict[tuple[str, str], str] = {}
"""(mirror, tag or commit) -> commit, for this process: a fleet of repos pinning the same tag
asks git once. Forgotten for a mirror whenever it is fetched."""


@dataclass(frozen=True)
class Fetched:
    folder: Path
    commit: str


def cache_dir() -> Path:
    override = os.environ.get(CACHE_DIR_VAR)
    if override:
        return Path(override)
    from platformdirs import user_cache_path

    return user_cache_path("qdev") / "profiles"


def check_url(url: str) -> None:
    """Refuse a URL that carries a credential: it would be committed in qdev.toml."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and (parts.username or parts.password):
        secret = True
    else:
        secret = parts.password is not None
    if secret:
        raise UsageError(
            "extends.git: the URL holds a user name or password; qdev.toml is committed, "
            "so the credential would reach every clone",
            fix="drop it from the URL and let git authenticate: an SSH key "
            "(git@host:team/profile.git) or a credential helper (git config credential.helper)",
        )


def resolve_url(url: str, relative_to: Path) -> str:
    """The URL git is given: a local path is made absolute (relative to the naming file)."""
    check_url(url)
    if "://" in url or re.match(r"^[\w.-]+@[\w.-]+:", url):
        return url
    path = Path(url).expanduser()
    return str(path if path.is_absolute() else (relative_to / path).resolve())


def mirror_path(url: str) -> Path:
    tail = re.sub(r"[^A-Za-z0-9_.-]", "-", url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    tail = tail.removesuffix(".git")[:40] or "profile"
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return cache_dir() / "mirrors" / f"{tail}-{digest}.git"


def tree_path(commit: str) -> Path:
    return cache_dir() / "trees" / commit


def fetch(
    url: str,
    ref: str,
    *,
    branch: bool = False,
    relative_to: Path,
    offline: bool = False,
    refresh: bool = False,
) -> Fetched:
    """The profile folder of `url` at `ref`, fetching into the cache only what it lacks.

    A branch is refused unless `branch` says the repo follows it on purpose; then `refresh`
    fetches its newest commit (`qdev sync` does, `qdev sync --check` does not). With `offline`,
    anything not already cached is an error instead of a fetch.
    """
    target = resolve_url(url, relative_to)
    if FULL_SHA.match(ref) and (tree_path(ref) / "profile.toml").is_file():
        return Fetched(tree_path(ref), ref)
    mirror = mirror_path(target)
    known = None if branch else _RESOLVED.get((str(mirror), ref))
    if known is not None and mirror.is_dir():
        return Fetched(_tree(mirror, known), known)
    commit = _resolve(target, mirror, ref, branch=branch, offline=offline, refresh=refresh)
    if not branch:
        _RESOLVED[(str(mirror), ref)] = commit
    return Fetched(_tree(mirror, commit), commit)


def _resolve(
    url: str, mirror: Path, ref: str, *, branch: bool, offline: bool, refresh: bool
) -> str:
    from filelock import FileLock

    from qdev.tools import git

    locks = cache_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with FileLock(str(locks / f"{mirror.name}.lock")):
        fetched = False
        if not mirror.is_dir():
            _need_network(url, ref, offline)
            _clone(url, mirror)
            fetched = True
        elif branch and refresh and not offline:
            _fetch(url, mirror)
            fetched = True
        kind = git.ref_kind(mirror, ref)
        if kind is None and not fetched:
            _need_network(url, ref, offline)
            _fetch(url, mirror)
            kind = git.ref_kind(mirror, ref)
        _check_kind(url, ref, kind, branch=branch)
        commit = git.resolve_commit(mirror, ref if kind != "branch" else f"refs/heads/{ref}")
        assert commit is not None  # ref_kind found it
        return commit


def _check_kind(url: str, ref: str, kind: str | None, *, branch: bool) -> None:
    if kind is None:
        raise ProfileUnavailable(
            f'{url} has no tag, branch or commit "{ref}"',
            fix="check extends.ref in qdev.toml: `git ls-remote URL` lists the tags",
        )
    if branch and kind != "branch":
        raise UsageError(
            f'extends.branch = "{ref}": {url} has no branch "{ref}" (it is a {kind})',
            fix=f'pin it instead: ref = "{ref}"',
        )
    if kind == "branch" and not branch:
        raise UsageError(
            f'extends.ref = "{ref}" is a branch of {url}: a moving ref, so the same repo could '
            "render differently tomorrow",
            fix=f'pin a tag or commit (ref = "v1.2.0"), or follow the branch on purpose with '
            f'branch = "{ref}" instead of ref',
        )
    if kind == "commit" and not SHORT_SHA.match(ref):
        raise UsageError(f'extends.ref = "{ref}" is neither a tag nor a commit id of {url}')


def _need_network(url: str, ref: str, offline: bool) -> None:
    if offline:
        raise ProfileUnavailable(
            f"the profile {url} at {ref} is not in the cache ({cache_dir()}) and qdev is offline",
            fix="run once with network access to the profile repository",
        )


def _remote_env() -> dict[str, str]:
    from qdev.tools import process

    # Never hang on a password prompt where nobody can answer (CI, hooks, fleet runs).
    extra = {} if sys.stdin.isatty() else {"GIT_TERMINAL_PROMPT": "0"}
    return process.child_env(extra)


def _clone(url: str, mirror: Path) -> None:
    from qdev.tools import git

    _forget(mirror)
    mirror.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=mirror.parent, prefix=".clone-"))
    try:
        git.clone_mirror(url, staging / "repo.git", _remote_env())
        os.replace(staging / "repo.git", mirror)
    except git.GitError as exc:
        raise ProfileUnavailable(
            f"cannot fetch the profile repository {url}: {exc.message}",
            fix="check the URL and that `git ls-remote URL` works here (git authenticates: "
            "SSH key or credential helper)",
        ) from exc
    finally:
        _remove_tree(staging)


def _forget(mirror: Path) -> None:
    for key in [key for key in _RESOLVED if key[0] == str(mirror)]:
        _RESOLVED.pop(key, None)


def _fetch(url: str, mirror: Path) -> None:
    from qdev.tools import git

    _forget(mirror)
    try:
        git.fetch_mirror(mirror, _remote_env())
    except git.GitError as exc:
        raise ProfileUnavailable(
            f"cannot fetch the profile repository {url}: {exc.message}",
            fix="check the network and that `git ls-remote URL` works here",
        ) from exc


def _tree(mirror: Path, commit: str) -> Path:
    """The files of `commit`, extracted once into the cache."""
    import tarfile

    from filelock import FileLock

    from qdev.tools import git

    final = tree_path(commit)
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_dir() / "locks" / f"tree-{commit}.lock")):
        if final.is_dir():
            return final
        staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{commit[:12]}-"))
        try:
            archive = staging / "tree.tar"
            git.archive_tree(mirror, commit, archive)
            with tarfile.open(archive) as tar:
                tar.extractall(staging / "tree", filter="data")
            os.replace(staging / "tree", final)
        finally:
            _remove_tree(staging)
    return final


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def newer_tags(url: str, relative_to: Path, than: str) -> list[str]:
    """Semver tags of the cached mirror newer than version `than` (offline; [] if not cached)."""
    from qdev.profile.source import SEMVER, semver_key
    from qdev.tools import git

    mirror = mirror_path(resolve_url(url, relative_to))
    if not mirror.is_dir():
        return []
    tags = [t for t in git.tag_list(mirror) if SEMVER.match(t.removeprefix("v"))]
    floor = semver_key(than.removeprefix("v"))
    found = [t for t in tags if semver_key(t.removeprefix("v")) > floor]
    return sorted(found, key=lambda t: semver_key(t.removeprefix("v")))


def refresh(url: str, relative_to: Path) -> None:
    """Fetch the profile repository's newest tags and branches into its mirror (cloning it
    when missing): what `qdev fleet fetch` does so that fleet status knows the latest release."""
    from filelock import FileLock

    target = resolve_url(url, relative_to)
    mirror = mirror_path(target)
    locks = cache_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with FileLock(str(locks / f"{mirror.name}.lock")):
        if mirror.is_dir():
            _fetch(target, mirror)
        else:
            _clone(target, mirror)
