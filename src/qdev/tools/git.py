"""The one module that talks to git, through GitPython.

Everything else asks this module questions in qdev's terms (is the tree clean, which files are
tracked, what changed since a ref) and never imports `git` itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qdev.errors import QdevError, ToolMissing

if TYPE_CHECKING:
    import git


class GitError(QdevError):
    """A git operation failed; the message carries git's own words."""


def _git() -> object:
    try:
        import git
    except ImportError as exc:  # GitPython raises ImportError when the git binary is missing
        raise ToolMissing("git is not installed", fix="apt-get install git") from exc
    return git


@contextmanager
def _translated(action: str) -> Iterator[None]:
    import git

    try:
        yield
    except git.GitCommandError as exc:
        detail = (exc.stderr or exc.stdout or str(exc)).strip().removeprefix("stderr: ").strip("'\n ")
        raise GitError(f"git {action} failed: {detail}") from exc


def open_repo(path: Path) -> git.Repo:
    """The repository that holds `path` (searching parent folders)."""
    _git()
    import git

    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise GitError(f"{path} is not inside a git repository", fix="run `git init` first") from exc


def find_root(path: Path) -> Path | None:
    """The top folder of the git work tree holding `path`, or None outside a repository."""
    _git()
    import git

    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    return Path(repo.working_tree_dir) if repo.working_tree_dir else None


def init(path: Path, *, branch: str = "main") -> git.Repo:
    _git()
    import git

    with _translated("init"):
        return git.Repo.init(path, initial_branch=branch)


def run(repo: git.Repo, *args: str) -> str:
    """Run a git sub-command in `repo` through GitPython and return its stdout."""
    with _translated(args[0] if args else ""):
        return str(repo.git.execute(["git", *args]))


def tracked_files(repo: git.Repo) -> list[str]:
    """Paths of tracked files, relative to the work tree, as git spells them."""
    out = run(repo, "ls-files", "-z", "--cached")
    return [name for name in out.split("\0") if name]


def is_clean(repo: git.Repo) -> bool:
    return not repo.is_dirty(untracked_files=True)


def current_branch(repo: git.Repo) -> str | None:
    """The checked-out branch, or None when HEAD is detached."""
    if repo.head.is_detached:
        return None
    return repo.active_branch.name


def head_commit(repo: git.Repo) -> str | None:
    """The hex SHA of HEAD, or None in a repository with no commits yet."""
    try:
        return repo.head.commit.hexsha
    except ValueError:
        return None


def commit(repo: git.Repo, message: str, paths: Sequence[str] = (), *, all_changes: bool = False) -> str:
    """Commit `paths` (or every change with `all_changes`) running the hooks; return the SHA."""
    if all_changes:
        run(repo, "add", "--all")
    elif paths:
        run(repo, "add", "--", *paths)
    run(repo, "commit", "-m", message)
    return repo.head.commit.hexsha


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


def identity(repo: git.Repo) -> Identity | None:
    """The configured user.name and user.email, or None when either is unset."""
    reader = repo.config_reader()
    try:
        return Identity(str(reader.get_value("user", "name")), str(reader.get_value("user", "email")))
    except Exception:
        return None
