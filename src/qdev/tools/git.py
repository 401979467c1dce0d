"""The one module that talks to git, through GitPython.

Everything else asks this module questions in qdev's terms (is the tree clean, which files are
tracked, what changed since a ref) and never imports `git` itself. The warm `qdev check` reads
its two listings through git_quick.py instead, which imports neither GitPython nor subprocess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qdev.errors import QdevError, ToolMissing

if TYPE_CHECKING:
    import git

    from qdev.tools.process import ProcessResult


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
        detail = (
            (exc.stderr or exc.stdout or str(exc)).strip().removeprefix("stderr: ").strip("'\n ")
        )
        raise GitError(f"git {action} failed: {detail}") from exc


def open_repo(path: Path) -> git.Repo:
    """The repository that holds `path` (searching parent folders)."""
    _git()
    import git

    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise GitError(
            f"{path} is not inside a git repository", fix="run `git init` first"
        ) from exc


def init(path: Path, *, branch: str = "main") -> None:
    """`git init` on `branch`, by the git binary: `qdev init` runs it beside `uv sync`, where
    GitPython's import would only compete for the CPU."""
    path.mkdir(parents=True, exist_ok=True)
    _ok(_cli(path, "init", "--quiet", f"--initial-branch={branch}"), "init")


def run(repo: git.Repo, *args: str) -> str:
    """Run a git sub-command in `repo` through GitPython and return its stdout."""
    with _translated(args[0] if args else ""):
        return str(repo.git.execute(["git", *args]))


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


def commit(
    repo: git.Repo, message: str, paths: Sequence[str] = (), *, all_changes: bool = False
) -> str:
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
        return Identity(
            str(reader.get_value("user", "name")), str(reader.get_value("user", "email"))
        )
    except Exception:
        return None


def ls_tracked(root: Path) -> list[str]:
    """Tracked files under `root` through the git binary: no GitPython import, for fast paths."""
    return _ls_files(root, "--cached")


def ls_untracked(root: Path) -> list[str]:
    """Files under `root` that git neither tracks nor ignores (new files not yet added)."""
    return _ls_files(root, "--others", "--exclude-standard")


def git_path(root: Path, name: str) -> Path:
    """Where git keeps `name` (e.g. "hooks": honours core.hooksPath and worktrees)."""
    from qdev.tools import process

    result = process.run(["git", "rev-parse", "--git-path", name], cwd=root)
    if not result.ok:
        raise GitError(f"git rev-parse --git-path {name} failed: {result.stderr.strip()}")
    return root / result.stdout.strip()


def ls_staged(root: Path, *pathspecs: str) -> dict[str, str]:
    """Tracked files with the id of their content in the index (what a commit would hold)."""
    from qdev.tools.git_quick import parse_staged

    return parse_staged(_ls_files(root, "--stage", "--", *pathspecs))


def ls_submodule_files(root: Path) -> list[str]:
    """Files inside the checked-out submodules under `root`, nested ones too, as paths from
    `root`: tracked ones and new ones git does not ignore. Tools that walk folders read them,
    though `ls_tracked` lists each submodule as a single entry."""
    if not (root / ".gitmodules").is_file():
        return []  # no submodules: no extra git call on the fast path
    found: list[str] = []
    for sub in _checked_out_submodules(root):
        inside = root / sub
        files = [
            *_ls_files(inside, "--cached", own_repo=True),
            *_ls_files(inside, "--others", "--exclude-standard", own_repo=True),
        ]
        found += [f"{sub}/{name}" for name in files]
    return found


def _checked_out_submodules(root: Path, prefix: str = "") -> list[str]:
    """Paths (from the outermost root) of submodules whose work tree is there, depth first."""
    found: list[str] = []
    for entry in _ls_files(root, "--stage", own_repo=bool(prefix)):
        info, _, path = entry.partition("\t")
        if info.startswith("160000 ") and (root / path / ".git").exists():
            found.append(f"{prefix}{path}")
            found += _checked_out_submodules(root / path, f"{prefix}{path}/")
    return found


# What git sets for a hook to find the repo being committed; a submodule is another repo.
REPO_VARIABLES = (
    "GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX", "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
)  # fmt: skip


def _ls_files(root: Path, *which: str, own_repo: bool = False) -> list[str]:
    """`git ls-files` in `root`; `own_repo`: the repo found from `root` itself, not the one a
    git hook's environment points at."""
    from qdev.tools import process

    env = process.child_env(drop=REPO_VARIABLES) if own_repo else None
    result = process.run(["git", "ls-files", "-z", *which], cwd=root, env=env)
    if result.ok:
        return [name for name in result.stdout.split("\0") if name]
    if "not a git repository" in result.stderr:
        raise GitError(
            f"{root} is not inside a git repository",
            fix="run qdev inside the repo's work tree, or `git init` first",
        )
    raise GitError(f"git ls-files failed: {result.stderr.strip()}")


def default_branch(repo: git.Repo) -> str:
    """The branch a feature branch merges into: origin's HEAD, else a local main or master."""
    try:
        ref = run(repo, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
        if ref.strip():
            return ref.strip()
    except GitError:
        pass
    names = {head.name for head in repo.heads}
    for name in ("main", "master"):
        if name in names:
            return name
    raise GitError(
        "no default branch found (no origin/HEAD, main or master)", fix="pass --base REF"
    )


def merge_base(repo: git.Repo, ref: str, other: str = "HEAD") -> str:
    return run(repo, "merge-base", ref, other).strip()


def changed_files(repo: git.Repo, base: str) -> list[str]:
    """Files added, copied, modified or renamed since `base`, counting uncommitted edits."""
    out = run(repo, "diff", "--name-only", "-z", "--diff-filter=ACMRT", base)
    return [name for name in out.split("\0") if name]


def staged_files(repo: git.Repo) -> list[str]:
    """Files added, copied, modified or renamed in the index: what the next commit changes."""
    out = run(repo, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMRT")
    return [name for name in out.split("\0") if name]


# --- used by qdev release -------------------------------------------------------------------


def run_status(repo: git.Repo, *args: str) -> tuple[int, str, str]:
    """Run a git sub-command and return (exit code, stdout, stderr) without raising."""
    code, out, err = repo.git.execute(
        ["git", *args], with_extended_output=True, with_exceptions=False
    )
    return int(code), str(out), str(err)


def work_tree(repo: git.Repo) -> Path:
    """The top folder of the repository's work tree (its git dir when it is bare): where the
    path-based functions below run for a caller that holds a Repo."""
    return Path(repo.working_tree_dir or repo.git_dir)


def git_dir(repo: git.Repo) -> Path:
    """The repository's private folder (`.git`, or the worktree's own git dir)."""
    return Path(repo.git_dir)


def tags_merged(repo: git.Repo, rev: str = "HEAD") -> list[str]:
    """Names of the tags reachable from `rev`, in one call."""
    out = run(repo, "for-each-ref", "--merged", rev, "--format=%(refname:strip=2)", "refs/tags")
    return [line for line in out.splitlines() if line]


def tag_exists(repo: git.Repo, tag: str) -> bool:
    return run_status(repo, "rev-parse", "-q", "--verify", f"refs/tags/{tag}")[0] == 0


def tag_object(repo: git.Repo, tag: str) -> str | None:
    """The SHA `refs/tags/<tag>` points at (the tag object of an annotated tag), or None."""
    code, out, _ = run_status(repo, "rev-parse", "-q", "--verify", f"refs/tags/{tag}")
    return out.strip() if code == 0 else None


def log_messages(repo: git.Repo, rev_range: str) -> list[tuple[str, str]]:
    """(sha, whole raw message) of every commit in `rev_range`, newest first, from one `git log`.

    Records are NUL-separated (a message cannot hold NUL), so any text in a message is safe.
    """
    out = run(repo, "log", "-z", "--no-color", "--format=%H%n%B", rev_range)
    records = []
    for chunk in out.split("\0"):
        sha, _, message = chunk.strip("\n").partition("\n")
        if sha:
            records.append((sha, message.strip("\n")))
    return records


def is_shallow(repo: git.Repo) -> bool:
    return run(repo, "rev-parse", "--is-shallow-repository").strip() == "true"


def shallow_boundaries(repo: git.Repo) -> list[str]:
    """The commits where a shallow clone's history is cut (their parents are missing)."""
    path = Path(run(repo, "rev-parse", "--git-path", "shallow").strip())
    if not path.is_absolute():
        path = Path(repo.working_tree_dir or ".") / path
    try:
        return path.read_text().split()
    except FileNotFoundError:
        return []


def common_dir(repo: git.Repo) -> Path:
    """The folder the worktrees of a repository share (refs, packed-refs, config)."""
    return Path(repo.common_dir)


def upstream_remote(repo: git.Repo, branch: str) -> str | None:
    """The remote `branch` tracks, else `origin` when it exists, else None."""
    code, out, _ = run_status(repo, "config", "--get", f"branch.{branch}.remote")
    if code == 0 and out.strip() and out.strip() != ".":
        return out.strip()
    remotes = run(repo, "remote").split()
    return "origin" if "origin" in remotes else None


def remote_url(repo: git.Repo, remote: str) -> str | None:
    code, out, _ = run_status(repo, "remote", "get-url", remote)
    return out.strip() if code == 0 else None


def ls_remote(repo: git.Repo, remote: str, *refs: str) -> dict[str, str]:
    """{ref: sha} of `refs` as the remote has them now: a read-only fetch of their names."""
    out = run(repo, "ls-remote", remote, *refs)
    found: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref and not ref.endswith("^{}"):
            found[ref] = sha
    return found


def is_ancestor(repo: git.Repo, ancestor: str, descendant: str) -> bool:
    return run_status(repo, "merge-base", "--is-ancestor", ancestor, descendant)[0] == 0


def has_object(repo: git.Repo, sha: str) -> bool:
    return run_status(repo, "cat-file", "-e", f"{sha}^{{commit}}")[0] == 0


def create_tag(repo: git.Repo, tag: str, message: str, *, sign: str | bool = False) -> None:
    """An annotated tag on HEAD; signed with gpg or ssh when `sign` says so."""
    # whitespace cleanup keeps lines starting with "#" (the changelog's headings)
    args = ["tag", "--cleanup=whitespace", "-m", message]
    if sign == "ssh":
        run(repo, "-c", "gpg.format=ssh", *args, "-s", tag)
    elif sign == "gpg":
        run(repo, "-c", "gpg.format=openpgp", *args, "-s", tag)
    else:
        run(repo, *args, "-a", tag)


def delete_tag(repo: git.Repo, tag: str) -> None:
    run(repo, "tag", "-d", tag)


def reset_index_to(repo: git.Repo, sha: str) -> None:
    """Move the branch and the index to `sha`, leaving the work tree's files alone."""
    run(repo, "reset", "-q", "--mixed", sha)


def move_branch_to(repo: git.Repo, sha: str, paths: Sequence[str]) -> None:
    """Move the branch to `sha` and reset only `paths` in the index: whatever else the user
    staged stays staged, and no file in the work tree changes."""
    run(repo, "reset", "-q", "--soft", sha)
    if paths:
        run(repo, "reset", "-q", sha, "--", *paths)


def push_atomic(
    repo: git.Repo,
    remote: str,
    *refspecs: str,
    on_start: Callable[[int], None] | None = None,
    patient: Callable[[], None] | None = None,
) -> ProcessResult:
    """Push all `refspecs` or none of them, in a process group of its own (a Ctrl-C at the
    terminal does not reach it); see `process.run` for `on_start` and `patient`."""
    from qdev.tools import process

    return process.run(
        ["git", "push", "--atomic", "--porcelain", remote, *refspecs],
        cwd=str(repo.working_tree_dir or "."),
        env=process.child_env({"GIT_TERMINAL_PROMPT": "0"}),
        on_start=on_start,
        patient=patient,
    )


# --- used by qdev sync and git profiles ------------------------------------------------------
# The git binary through tools/process, never GitPython: `qdev sync --check` must start fast.

REMOTE_TIMEOUT = 600.0


def _cli(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    input_text: str | None = None,
    timeout: float | None = None,
) -> ProcessResult:
    from qdev.tools import process

    return process.run(["git", *args], cwd=cwd, env=env, input_text=input_text, timeout=timeout)


def _ok(result: ProcessResult, action: str) -> str:
    if not result.ok:
        detail = (result.stderr or result.stdout).strip()
        raise GitError(f"git {action} failed: {detail}")
    return result.stdout


def toplevel(path: Path) -> Path | None:
    """The top folder of the work tree holding `path`, or None outside one (no GitPython)."""
    probe = path if path.is_dir() else path.parent
    if not probe.is_dir():
        return None
    result = _cli(probe, "rev-parse", "--show-toplevel")
    return Path(result.stdout.strip()) if result.ok and result.stdout.strip() else None


def absolute_git_dir(root: Path) -> Path:
    return Path(_ok(_cli(root, "rev-parse", "--absolute-git-dir"), "rev-parse").strip())


def status_codes(root: Path) -> dict[str, str]:
    """{path: XY} of every changed, staged, unmerged or untracked path (`git status`)."""
    out = _ok(_cli(root, "status", "--porcelain=v1", "-z", "--untracked-files=all"), "status")
    codes: dict[str, str] = {}
    entries = iter(out.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        codes[path] = code
        if code[0] in "RC":  # a rename also names its source, in the next entry
            source = next(entries, "")
            if source:
                codes[source] = code
    return codes


def ignored_paths(root: Path, paths: Sequence[str]) -> set[str]:
    """Which of `paths` git ignores (.gitignore, info/exclude, the global excludes file)."""
    if not paths:
        return set()
    result = _cli(root, "check-ignore", "--no-index", "-z", "--stdin", input_text="\0".join(paths))
    if result.returncode not in (0, 1):
        _ok(result, "check-ignore")
    return {path for path in result.stdout.split("\0") if path}


def unmerged_paths(root: Path) -> set[str]:
    out = _ok(_cli(root, "ls-files", "-u", "-z"), "ls-files")
    return {entry.partition("\t")[2] for entry in out.split("\0") if "\t" in entry}


def index_mode(root: Path, path: str) -> str | None:
    """The file mode the index holds for `path` (e.g. 100755), None when it is not tracked."""
    out = _ok(_cli(root, "ls-files", "-s", "-z", "--", path), "ls-files")
    first = out.split("\0")[0]
    return first.split(" ", 1)[0] if first else None


def store_blob(root: Path, path: str, data: bytes) -> str:
    """Write `data` into the object store as `path` would be stored; return its object id."""
    import tempfile

    with tempfile.NamedTemporaryFile(dir=absolute_git_dir(root), prefix="qdev-blob-") as handle:
        handle.write(data)
        handle.flush()
        out = _cli(root, "hash-object", "-w", f"--path={path}", handle.name)
        return _ok(out, "hash-object").strip()


def mark_unmerged(root: Path, path: str, stages: dict[int, str], mode: str = "100644") -> None:
    """Leave `path` in git's conflict state: index stages 1 (base), 2 (ours), 3 (theirs).

    `stages` maps a stage to a blob id; a missing stage is a side that has no file, as git
    records an add/add or a modify/delete conflict. `git status`, `git mergetool` and editors
    then see the conflict, and `git add` resolves it.
    """
    lines = [f"0 {'0' * 40}\t{path}"]
    lines += [f"{mode} {blob} {stage}\t{path}" for stage, blob in sorted(stages.items())]
    _ok(
        _cli(root, "update-index", "--index-info", input_text="\n".join(lines) + "\n"),
        "update-index",
    )


def merge_file(current: Path, base: Path, other: Path, labels: tuple[str, str, str]) -> int:
    """`git merge-file --diff3` into `current`: the number of conflicts, 0 for a clean merge."""
    result = _cli(
        current.parent,
        "merge-file",
        "--diff3",
        "-L",
        labels[0],
        "-L",
        labels[1],
        "-L",
        labels[2],
        str(current),
        str(base),
        str(other),
    )
    if result.returncode < 0 or result.returncode > 127:
        _ok(result, "merge-file")
    return result.returncode


def clone_mirror(url: str, dest: Path, env: dict[str, str]) -> None:
    """A bare mirror of `url` at `dest`: every branch and tag, no work tree."""
    result = _cli(
        dest.parent,
        "clone",
        "--mirror",
        "--quiet",
        "--",
        url,
        str(dest),
        env=env,
        timeout=REMOTE_TIMEOUT,
    )
    _ok(result, f"clone {url}")


def fetch_mirror(mirror: Path, env: dict[str, str]) -> None:
    result = _cli(
        mirror, "fetch", "--quiet", "--prune", "--tags", "origin", env=env, timeout=REMOTE_TIMEOUT
    )
    _ok(result, "fetch")


def resolve_commit(repo: Path, rev: str) -> str | None:
    """The commit `rev` names in the repository at `repo` (work tree or bare), None if none."""
    result = _cli(repo, "rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}")
    return result.stdout.strip() if result.ok else None


def ref_kind(repo: Path, ref: str) -> str | None:
    """ "tag", "branch" or "commit" for what `ref` names in `repo`, None when it names nothing."""
    for prefix, kind in (("refs/tags/", "tag"), ("refs/heads/", "branch")):
        if _cli(repo, "show-ref", "-q", "--verify", f"{prefix}{ref}").ok:
            return kind
    return "commit" if resolve_commit(repo, ref) else None


def tag_list(repo: Path) -> list[str]:
    """Names of all tags; cheap, unlike asking which are reachable (a history walk)."""
    out = _ok(_cli(repo, "for-each-ref", "--format=%(refname:strip=2)", "refs/tags"), "tags")
    return [line for line in out.splitlines() if line]


def archive_tree(repo: Path, commit: str, out: Path) -> None:
    """The files of `commit` as a tar file at `out`."""
    _ok(_cli(repo, "archive", "--format=tar", "-o", str(out), commit), "archive")


# --- used by qdev fleet ----------------------------------------------------------------------
# The git binary through tools/process, never GitPython: a fleet asks these of hundreds of repos.


@dataclass(frozen=True)
class RefInfo:
    name: str
    """The full ref name, e.g. refs/heads/main or refs/tags/v1.0.0."""
    commit: str
    """The commit it names (a tag peeled to its commit)."""
    time: int
    """Unix time: the commit's (a branch, a lightweight tag) or the tagger's (annotated tag)."""
    target: str = ""
    """What a symbolic ref points to (refs/remotes/origin/HEAD), else empty."""


def refs(root: Path) -> list[RefInfo]:
    """Every branch, remote-tracking branch and tag, in one call."""
    fields = "%(refname)%00%(objectname)%00%(*objectname)%00%(creatordate:unix)%00%(symref)"
    out = _ok(
        _cli(root, "for-each-ref", f"--format={fields}", "refs/heads", "refs/remotes", "refs/tags"),
        "for-each-ref",
    )
    found = []
    for line in out.splitlines():
        parts = line.split("\0")
        if len(parts) == 5:
            name, sha, peeled, when, target = parts
            found.append(RefInfo(name, peeled or sha, int(when or 0), target))
    return found


def nearest_tag(root: Path, rev: str, patterns: Sequence[str]) -> str | None:
    """The newest tag matching one of `patterns` reachable from `rev`; None when there is none."""
    matches = [f"--match={pattern}" for pattern in patterns]
    result = _cli(root, "describe", "--tags", "--abbrev=0", *matches, rev)
    return result.stdout.strip() if result.ok and result.stdout.strip() else None


def count_commits(root: Path, rev_range: str) -> int:
    return int(_ok(_cli(root, "rev-list", "--count", rev_range), "rev-list").strip() or 0)


def last_change(root: Path, rev: str, path: str) -> int | None:
    """Unix time of the last commit up to `rev` that changed `path`; None when none did."""
    out = _ok(_cli(root, "log", "-1", "--format=%ct", rev, "--", path), "log").strip()
    return int(out) if out else None


def extended_regex_problem(pattern: str) -> str | None:
    """Why git's own engine (`git grep -E`, POSIX extended) refuses `pattern`, or None."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="qdev-regex-") as folder:
        (Path(folder) / "empty").touch()
        result = _cli(Path(folder), "grep", "--no-index", "-q", "-E", "-e", pattern, "--", "empty")
    if result.returncode in (0, 1):
        return None
    detail = (result.stderr or result.stdout).strip().splitlines()
    return detail[-1].rpartition(": ")[2] if detail else f"git grep exited {result.returncode}"


def grep_any(root: Path, pattern: str, rev: str = "HEAD") -> bool:
    """Whether any file tracked at `rev` has a line matching the extended regex `pattern`."""
    result = _cli(root, "grep", "-q", "-I", "-E", "-e", pattern, rev, "--")
    if result.returncode not in (0, 1):
        _ok(result, "grep")
    return result.returncode == 0


def clone(url: str, dest: Path, env: dict[str, str]) -> None:
    """A full clone of `url` at `dest` (the folder must not exist yet)."""
    result = _cli(
        dest.parent, "clone", "--quiet", "--", url, str(dest), env=env, timeout=REMOTE_TIMEOUT
    )
    _ok(result, f"clone {url}")


def fetch_origin(root: Path, env: dict[str, str]) -> None:
    """Every branch and tag of origin, pruning what it dropped, and origin's HEAD anew."""
    result = _cli(
        root, "fetch", "--quiet", "--prune", "--tags", "--force", "origin", env=env,
        timeout=REMOTE_TIMEOUT,
    )  # fmt: skip
    _ok(result, "fetch")
    _cli(root, "remote", "set-head", "origin", "--auto", env=env, timeout=REMOTE_TIMEOUT)


def checkout_detached(root: Path, rev: str) -> None:
    """Make the work tree exactly `rev`, detached: for clones qdev owns, never a user's."""
    _ok(_cli(root, "checkout", "--quiet", "--force", "--detach", rev), "checkout")


def worktree_add(root: Path, path: Path, rev: str) -> None:
    """A new work tree at `path`, detached at `rev`, sharing `root`'s repository."""
    _ok(_cli(root, "worktree", "add", "--force", "--detach", str(path), rev), "worktree add")


def worktree_remove(root: Path, path: Path) -> None:
    """Remove the work tree at `path` (and what git keeps of it), whatever state it is in."""
    import shutil

    _cli(root, "worktree", "remove", "--force", "--force", str(path))
    shutil.rmtree(path, ignore_errors=True)
    _cli(root, "worktree", "prune")


def commit_all(root: Path, message: str) -> str:
    """Stage every change and commit it without running hooks; return the new commit."""
    _ok(_cli(root, "add", "--all"), "add")
    _ok(_cli(root, "commit", "--quiet", "--no-verify", "-F", "-", input_text=message), "commit")
    return _ok(_cli(root, "rev-parse", "HEAD"), "rev-parse").strip()


def set_branch(root: Path, branch: str, commit: str) -> None:
    """Point `branch` at `commit`, creating it when missing (never the checked-out branch)."""
    _ok(_cli(root, "branch", "--force", "--no-track", branch, commit), "branch")


def remote_head(root: Path, remote: str, ref: str, env: dict[str, str]) -> str | None:
    """The commit `ref` names on `remote` now, None when it has no such ref (GitError if down)."""
    result = _cli(root, "ls-remote", "--exit-code", remote, ref, env=env, timeout=REMOTE_TIMEOUT)
    if result.returncode == 2:
        return None
    out = _ok(result, f"ls-remote {remote}")
    return out.split("\t", 1)[0].strip() or None


def push_branch(
    root: Path, remote: str, commit: str, branch: str, expected: str | None, env: dict[str, str]
) -> None:
    """Push `commit` as `branch`, only if the remote still has `expected` there (None: nothing)."""
    lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
    result = _cli(
        root, "push", "--quiet", "--no-verify", "--porcelain", lease, remote,
        f"{commit}:refs/heads/{branch}", env=env, timeout=REMOTE_TIMEOUT,
    )  # fmt: skip
    _ok(result, f"push {remote} {branch}")


def fetch_branch(root: Path, remote: str, branch: str, env: dict[str, str]) -> str | None:
    """Fetch `branch` of `remote` (its commit, for reuse); None when the remote has none."""
    result = _cli(
        root, "fetch", "--quiet", "--no-tags", remote, f"refs/heads/{branch}", env=env,
        timeout=REMOTE_TIMEOUT,
    )  # fmt: skip
    if not result.ok:
        return None
    return resolve_commit(root, "FETCH_HEAD")


def commit_facts(root: Path, rev: str) -> tuple[str, str, str] | None:
    """(first parent, tree, full message) of commit `rev`, None when `rev` names no commit."""
    result = _cli(root, "log", "-1", "--format=%P%x00%T%x00%B", rev, "--")
    if not result.ok or "\0" not in result.stdout:
        return None
    parents, tree, message = result.stdout.split("\0", 2)
    return (parents.split() or [""])[0], tree, message


def valid_branch_name(name: str) -> bool:
    """Whether git takes `name` as a branch name (`git check-ref-format`)."""
    if not name or name.startswith("-"):
        return False
    return _cli(Path.cwd(), "check-ref-format", f"refs/heads/{name}").ok


# --- used by adoption (qdev init on an existing repo) ---------------------------------------


def ignored_by(root: Path, paths: Sequence[str]) -> dict[str, str]:
    """{path: "source:line:pattern"} for each of `paths` a .gitignore rule would hide.

    Asks git about the paths as names (`--no-index`), so tracked files and files that do not
    exist yet are judged by the rules alone.
    """
    result = _cli(root, "check-ignore", "--no-index", "--verbose", "--non-matching", "--", *paths)
    found: dict[str, str] = {}
    for line in result.stdout.splitlines():
        rule, _, path = line.partition("\t")
        source, _, rest = rule.partition(":")
        if not source or not path:
            continue
        line_no, _, pattern = rest.partition(":")
        if pattern.startswith("!"):
            continue  # a negated rule un-ignores the path
        found[path] = f"{source}:{line_no}:{pattern}"
    return found


def scratch_clone(source: Path, target: Path) -> bool:
    """A throw-away clone of `source`'s history (objects shared, no checkout) at `target`.

    For building a copy of the repo whose version comes from tags. False when `source` has no
    commit to clone.
    """
    cloned = _cli(source, "clone", "--quiet", "--shared", "--no-checkout", str(source), str(target))
    if not cloned.ok or not _cli(target, "rev-parse", "-q", "--verify", "HEAD").ok:
        return False
    return _cli(target, "reset", "-q").ok
