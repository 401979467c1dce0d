"""`qdev fleet sync --branch NAME [--push]`: `qdev sync` on a branch of every selected repo.

Per repo, in a git worktree of its own (the user's checkout is never touched):

1. start at the default branch's head (a clone in the cache is fetched first);
2. `qdev sync --ref TARGET` (TARGET: `--ref`, else the newest release of the repo's profile);
3. a conflict stops there: reported with its files, nothing committed, nothing pushed;
4. otherwise commit (a conventional message with a `Qdev-Fleet-Branch: NAME` trailer) and point
   branch NAME at it, unless NAME already holds the same change on the same base: re-running
   never makes a second branch or a second commit;
5. with `--push`, push NAME to origin, leased on what origin had, so a branch someone else
   moved is never clobbered.

A branch NAME whose tip qdev did not make is left alone (skipped). The campaign journal in the
user cache records each repo's progress; a run killed outright (SIGKILL, a power cut) is
finished by running the same command again: finished repos are not redone, a half-done one
has its leftovers (worktree, ref lock) cleared and is done again.

Tests kill the process outright once N repos are done with `_QDEV_FLEET_KILL_AFTER=N`
(SIGKILL, uncatchable: the other repos in flight are cut mid-way).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from qdev.errors import QdevError
from qdev.fleet.clones import cache_dir, ensure_clone, remote_env, workdir
from qdev.fleet.manifest import Fleet, Member

TRAILER = "Qdev-Fleet-Branch"
KILL_VAR = "_QDEV_FLEET_KILL_AFTER"
JOURNAL_VERSION = 1
DONE_ACTIONS = ("created", "updated", "unchanged", "pushed", "up to date")


@dataclass(frozen=True)
class CampaignOptions:
    branch: str
    push: bool = False
    ref: str | None = None
    """The profile ref every repo moves to; None: the newest release of each repo's profile."""
    jobs: int = 0
    dry_run: bool = False


@dataclass(frozen=True)
class Outcome:
    name: str
    action: str
    """created, updated, unchanged, pushed (only the push was left), up to date (nothing to
    change), conflict, failed, skipped (the branch is not qdev's), or would create/update."""
    detail: str = ""
    source: str | None = None
    """The profile version and ref the repo had."""
    target: str | None = None
    commit: str | None = None
    pushed: bool = False
    files: tuple[str, ...] = ()
    earlier: bool = False
    """Finished by an earlier run of the campaign (read from the journal)."""

    @property
    def ok(self) -> bool:
        return self.action not in ("conflict", "failed")


@dataclass
class Journal:
    """Each repo's progress in one campaign, written atomically after every step."""

    path: Path
    branch: str
    repos: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, fleet: Fleet, branch: str) -> Journal:
        key = hashlib.sha256(f"{fleet.file}\0{branch}".encode()).hexdigest()[:16]
        path = cache_dir() / "campaigns" / f"{key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            repos = data["repos"] if data.get("version") == JOURNAL_VERSION else {}
        except (OSError, ValueError, KeyError, TypeError):
            repos = {}
        return cls(path, branch, repos if isinstance(repos, dict) else {})

    @property
    def key(self) -> str:
        return self.path.stem

    def get(self, name: str) -> dict[str, Any]:
        with self.lock:
            return dict(self.repos.get(name, {}))

    def record(self, name: str, **values: Any) -> None:
        from qdev.fileio import write_atomic

        with self.lock:
            self.repos[name] = {**self.repos.get(name, {}), **values}
            document = {"version": JOURNAL_VERSION, "branch": self.branch, "repos": self.repos}
            write_atomic(self.path, json.dumps(document, indent=1))
            _kill_point(self.repos)


def _kill_point(repos: dict[str, dict[str, Any]]) -> None:
    import os

    after = os.environ.get(KILL_VAR)
    if after and sum(r.get("state") == "done" for r in repos.values()) >= int(after):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def worktree_path(journal: Journal, member: Member) -> Path:
    return cache_dir() / "worktrees" / journal.key / member.name


def run(
    fleet: Fleet,
    members: Sequence[Member],
    options: CampaignOptions,
    done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """The campaign over `members`, in parallel; outcomes in the members' order."""
    import os

    from qdev.errors import Interrupted

    journal = Journal.open(fleet, options.branch)
    jobs = options.jobs or os.cpu_count() or 2
    stop = threading.Event()
    if options.ref is None:  # the newest releases: ask each profile repository once
        from qdev.fleet.clones import refresh_profiles

        roots = [workdir(fleet, m) for m in members]
        refresh_profiles([r for r in roots if r.is_dir()], jobs=jobs)

    def one(member: Member) -> Outcome:
        if stop.is_set():
            return Outcome(member.name, "failed", "interrupted before it started")
        outcome = _guarded(fleet, member, options, journal)
        if done is not None:
            done(outcome)
        return outcome

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = [pool.submit(one, m) for m in members]
        return [future.result() for future in futures]
    except KeyboardInterrupt:
        stop.set()
        raise Interrupted(
            "interrupted: repos in progress finish; run the same command again to resume"
        ) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _guarded(fleet: Fleet, member: Member, options: CampaignOptions, journal: Journal) -> Outcome:
    try:
        return _campaign_repo(fleet, member, options, journal)
    except QdevError as exc:
        # Name the repo's own file, not the worktree's, which is gone when this is read.
        where = str(worktree_path(journal, member))
        detail = exc.message.splitlines()[0].replace(where, str(workdir(fleet, member)))
        outcome = Outcome(member.name, "failed", detail)
        if not options.dry_run:
            journal.record(member.name, state="done", outcome=asdict(outcome))
        return outcome


def _campaign_repo(
    fleet: Fleet, member: Member, options: CampaignOptions, journal: Journal
) -> Outcome:
    from qdev.errors import UsageError

    root = workdir(fleet, member)
    if member.remote:
        fetched = ensure_clone(fleet, member, refresh=True)
        if not fetched.ok:
            return _finish(journal, options, Outcome(member.name, "failed", fetched.detail))
    if not (root / ".git").exists():
        raise UsageError(f"{root} is not a git work tree", fix="check the path in fleet.toml")
    base = _base(root, member)
    source, target, ref = _target(root, options.ref)
    earlier = journal.get(member.name)
    finished = _finished_before(root, options, earlier, base, target)
    if finished is not None:
        return finished
    if not options.dry_run:
        journal.record(member.name, state="started", base=base, target=target)
    outcome = _build(root, member, options, journal, base, ref)
    outcome = replace(outcome, source=source, target=target)
    if options.push and outcome.commit is not None and outcome.action in DONE_ACTIONS:
        journal.record(member.name, state="committed", commit=outcome.commit)
        outcome = _push(root, options.branch, outcome)
    return _finish(journal, options, outcome, base=base, target=target)


def _finish(journal: Journal, options: CampaignOptions, outcome: Outcome, **extra: Any) -> Outcome:
    if not options.dry_run:
        journal.record(
            outcome.name, state="done", push=options.push, outcome=asdict(outcome), **extra
        )
    return outcome


def _finished_before(
    root: Path, options: CampaignOptions, earlier: dict[str, Any], base: str, target: str | None
) -> Outcome | None:
    """The journal's outcome when an earlier run finished this repo as it stands now."""
    from qdev.tools import git

    if options.dry_run or earlier.get("state") != "done":
        return None
    if (earlier.get("base"), earlier.get("target")) != (base, target):
        return None
    if options.push and not earlier.get("push"):
        return None
    try:
        previous = Outcome(**{**earlier["outcome"], "files": tuple(earlier["outcome"]["files"])})
    except (KeyError, TypeError):
        return None
    if previous.action not in DONE_ACTIONS:
        return None  # conflicts and failures are tried again
    branch = f"refs/heads/{options.branch}"
    if previous.commit is not None and git.resolve_commit(root, branch) != previous.commit:
        return None
    if previous.action == "up to date":
        return replace(previous, earlier=True)
    return replace(
        previous, action="unchanged", detail=f"{previous.action} by an earlier run", earlier=True
    )


def _base(root: Path, member: Member) -> str:
    from qdev.errors import UsageError
    from qdev.fleet.facts import default_head
    from qdev.tools import git

    refs = {ref.name: ref for ref in git.refs(root)}
    _, head = default_head(root, refs, member.branch)
    if head is None:
        raise UsageError(
            f"{root}: no default branch found (no origin/HEAD, main or master)",
            fix=f'name it in fleet.toml: [repos.{member.name}] branch = "..."',
        )
    return head.commit


def _target(root: Path, wanted: str | None) -> tuple[str | None, str | None, str | None]:
    """(the profile the repo has, the one it moves to, the --ref sync is given)."""
    from qdev.errors import UsageError
    from qdev.fleet.status import latest_release
    from qdev.profile import state as state_file

    recorded = state_file.read(root)
    if recorded is None:
        raise UsageError(f"{root} was not made or adopted by qdev init", fix="run qdev init in it")
    source = f"{recorded.version}" + (f" ({recorded.ref})" if recorded.ref else "")
    if recorded.commit is None:  # built-in or folder profile: sync takes what is there now
        return source, None, None
    ref = wanted or latest_release(recorded.source, root)
    if ref is None:
        raise UsageError(
            f"the releases of the profile {recorded.source} are not known here",
            fix="run `qdev fleet fetch` first, or name the target with --ref",
        )
    return source, ref, ref


def _build(
    root: Path, member: Member, options: CampaignOptions, journal: Journal, base: str,
    ref: str | None,
) -> Outcome:  # fmt: skip
    """Sync in a fresh worktree at `base`, commit, and point the branch at the result."""
    from qdev.tools import git

    tree = worktree_path(journal, member)
    _clear_leftovers(root, tree, options.branch)
    git.worktree_add(root, tree, base)
    try:
        return _sync_and_commit(root, tree, member, options, base, ref)
    finally:
        git.worktree_remove(root, tree)


def _clear_leftovers(root: Path, tree: Path, branch: str) -> None:
    """What a killed run may have left: its worktree, a lock on the branch's ref."""
    from qdev.release.journal import find_git_dir
    from qdev.tools import git

    git.worktree_remove(root, tree)
    git_dir = find_git_dir(root)
    if git_dir is not None:
        (git_dir / "refs" / "heads" / f"{branch}.lock").unlink(missing_ok=True)


def _sync_and_commit(
    root: Path, tree: Path, member: Member, options: CampaignOptions, base: str,
    ref: str | None,
) -> Outcome:  # fmt: skip
    from qdev.profile.sync import SyncOptions, apply_sync, plan_sync
    from qdev.tools import git

    plan = plan_sync(tree, SyncOptions(ref=ref))
    changed = tuple(f.path for f in plan.writes if f.path != ".qdev/state.toml")
    if plan.conflicts:
        paths = tuple(f.path for f in plan.conflicts)
        keys = [f"{f.path}: {', '.join(f.conflicts)}" for f in plan.conflicts]
        return Outcome(member.name, "conflict", "; ".join(keys), files=paths)
    if not plan.writes:
        return Outcome(member.name, "up to date", "nothing to change")
    existing = _existing(root, options.branch, options.push)
    if existing is not None and not _made_by_us(root, existing, options.branch):
        return Outcome(
            member.name,
            "skipped",
            f"branch {options.branch} has commits qdev fleet did not make; left alone",
        )
    if options.dry_run:
        verb = "would update" if existing else "would create"
        return Outcome(member.name, verb, "", files=changed)
    apply_sync(plan)
    commit = git.commit_all(tree, commit_message(plan, options.branch))
    if existing is not None and _same_change(root, existing, commit, base):
        git.set_branch(root, options.branch, existing)
        return Outcome(member.name, "unchanged", "the branch has this change", commit=existing,
                       files=changed)  # fmt: skip
    git.set_branch(root, options.branch, commit)
    action = "updated" if existing else "created"
    return Outcome(member.name, action, "", commit=commit, files=changed)


def _existing(root: Path, branch: str, push: bool) -> str | None:
    """The branch's commit here, else origin's (fetched) when pushing; None when neither has it."""
    from qdev.tools import git

    local = git.resolve_commit(root, f"refs/heads/{branch}")
    if local is not None or not push:
        return local
    return git.fetch_branch(root, "origin", branch, remote_env())


def _made_by_us(root: Path, commit: str, branch: str) -> bool:
    from qdev.tools import git

    facts = git.commit_facts(root, commit)
    return facts is not None and f"{TRAILER}: {branch}" in facts[2]


def _same_change(root: Path, existing: str, commit: str, base: str) -> bool:
    from qdev.tools import git

    old, new = git.commit_facts(root, existing), git.commit_facts(root, commit)
    return old is not None and new is not None and old[0] == base and old[1] == new[1]


def _push(root: Path, branch: str, outcome: Outcome) -> Outcome:
    from qdev.tools import git

    assert outcome.commit is not None
    env = remote_env()
    try:
        remote = git.remote_head(root, "origin", f"refs/heads/{branch}", env)
        if remote == outcome.commit:
            return replace(outcome, pushed=True)
        git.push_branch(root, "origin", outcome.commit, branch, remote, env)
    except git.GitError as exc:
        return replace(outcome, action="failed", detail=f"push failed: {exc.message}")
    action = "pushed" if outcome.action == "unchanged" else outcome.action
    return replace(outcome, action=action, pushed=True)


def commit_message(plan: Any, branch: str) -> str:
    """A conventional commit: what moved where, the files, the profile's notes, the trailer."""
    previous, target = plan.previous, plan.profile
    to_ref = target.origin.ref if target.origin else None
    where = f"{target.version}" + (f" ({to_ref})" if to_ref else "")
    before = f"{previous.version}" + (f" ({previous.ref})" if previous.ref else "")
    files = sorted(f.path for f in plan.writes if f.path != ".qdev/state.toml")
    lines = [
        f"chore(profile): sync with profile {target.name} {to_ref or target.version}",
        "",
        f"qdev fleet sync moved the files qdev manages from profile {previous.profile} "
        f"{before} to {target.name} {where} with qdev sync; local edits are kept (three-way "
        "merge).",
        "",
        "Changed: " + ", ".join(files),
    ]
    for note in plan.notes:
        lines += ["", f"Profile {note.version}: {note.note}"]
    lines += ["", f"{TRAILER}: {branch}"]
    return "\n".join(lines) + "\n"
