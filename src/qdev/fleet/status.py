"""`qdev fleet status` as a pipeline: clone what is missing, read each repo's facts (from the
memo when the repo has not changed, else in parallel worker processes), optionally run
`qdev check` afresh, then add what only the whole fleet knows: each profile's latest release.

Reading a repo is mostly Python (the drift check renders the profile's templates), so more than
a handful of changed repos are read by worker processes (qdev.fleet.worker), one per core; the
git queries each repo needs run inside the same worker.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qdev.errors import QdevError
from qdev.fleet import memo
from qdev.fleet.clones import ensure_clone, workdir
from qdev.fleet.facts import RepoFacts, fresh_check, gather
from qdev.fleet.manifest import Fleet, Member

POOL_MIN = 12
"""Fewer changed repos than this are read in this process: a worker pool costs more to start."""

Progress = Callable[[str, int, int], None]
"""(what is being done, repos done, repos in all)."""


@dataclass(frozen=True)
class StatusOptions:
    jobs: int = 0
    """Repos read at once; 0: one per CPU."""
    check: bool = False
    """Run `qdev check` in each repo instead of reading its last result."""
    use_memo: bool = True
    fetch_missing: bool = True
    """Clone repos listed by URL that have no clone yet (never refreshes the others)."""


@dataclass(frozen=True)
class Latest:
    """The newest release of a profile known here, and how many the repo is behind it."""

    version: str | None
    behind: int


@dataclass(frozen=True)
class RepoStatus:
    member: Member
    root: Path
    facts: RepoFacts
    latest: Latest = Latest(None, 0)
    from_memo: bool = False


def jobs_for(requested: int) -> int:
    return requested if requested > 0 else (os.cpu_count() or 2)


def collect(
    fleet: Fleet,
    members: Sequence[Member],
    options: StatusOptions,
    progress: Progress | None = None,
) -> list[RepoStatus]:
    jobs = jobs_for(options.jobs)
    missing = _clone_missing(fleet, members, jobs) if options.fetch_missing else {}
    roots = {m.name: workdir(fleet, m) for m in members}
    remembered = memo.load(fleet.file) if options.use_memo else {}
    common = memo.common_stamp()
    found = {name: RepoFacts(error=why) for name, why in missing.items()}
    if not options.check:
        found.update(_remembered(members, roots, remembered, common, skip=set(missing)))
    stale = [m for m in members if m.name not in found]
    fresh = _read_all([(roots[m.name], m.branch) for m in stale], jobs, progress)
    for member, facts in zip(stale, fresh, strict=True):
        found[member.name] = facts
    if options.check:
        _check_all(stale, roots, found, progress)
    _remember(fleet, remembered, common, found, roots, stale, options)
    latest = _latest_of(roots, found)
    return [
        RepoStatus(
            m,
            roots[m.name],
            found[m.name],
            latest.get(m.name, Latest(None, 0)),
            m not in stale and m.name not in missing,
        )
        for m in members
    ]


def from_memo(fleet: Fleet, members: Sequence[Member]) -> list[RepoStatus] | None:
    """The status of every member answered from the memo alone (no repo read, no clone, no
    pydantic); None when any member is not in it as it stands now."""
    roots = {m.name: workdir(fleet, m) for m in members}
    found = _remembered(members, roots, memo.load(fleet.file), memo.common_stamp(), skip=set())
    if len(found) != len(members):
        return None
    latest = _latest_of(roots, found)
    return [
        RepoStatus(m, roots[m.name], found[m.name], latest.get(m.name, Latest(None, 0)), True)
        for m in members
    ]


def _remembered(
    members: Sequence[Member],
    roots: dict[str, Path],
    remembered: dict[str, Any],
    common: str,
    *,
    skip: set[str],
) -> dict[str, RepoFacts]:
    found = {}
    for member in members:
        if member.name in skip:
            continue
        root = roots[member.name]
        cached = memo.remembered(remembered.get(str(root)), root, common)
        if cached is not None:
            found[member.name] = cached
    return found


def _clone_missing(fleet: Fleet, members: Sequence[Member], jobs: int) -> dict[str, str]:
    """Clone remote members that have no clone yet; {name: why} for those that failed."""
    remote = [m for m in members if m.remote and not (workdir(fleet, m) / ".git").is_dir()]
    if not remote:
        return {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda m: ensure_clone(fleet, m, refresh=False), remote))
    return {r.name: f"cannot be cloned: {r.detail}" for r in results if not r.ok}


def _remember(
    fleet: Fleet,
    remembered: dict[str, Any],
    common: str,
    found: dict[str, RepoFacts],
    roots: dict[str, Path],
    stale: Sequence[Member],
    options: StatusOptions,
) -> None:
    if not options.use_memo or not stale:
        return
    for member in stale:
        key = str(roots[member.name])
        if found[member.name].error is None and not options.check:
            # Stamped after reading: reading refreshes git's index, which is in the stamp.
            remembered[key] = memo.entry_for(roots[member.name], found[member.name], common)
        else:
            remembered.pop(key, None)  # a fresh check changed the cache: read it next time
    memo.save(fleet.file, remembered)


# -- reading repos -----------------------------------------------------------------------------


def _read_all(
    items: Sequence[tuple[Path, str | None]], jobs: int, progress: Progress | None
) -> list[RepoFacts]:
    if not items:
        return []
    total = len(items)
    done = [0]
    lock = threading.Lock()

    def tick() -> None:
        with lock:
            done[0] += 1
            if progress is not None:
                progress("reading", done[0], total)

    if jobs > 1 and total >= POOL_MIN:
        return _read_in_workers(items, jobs, tick)
    results = []
    for root, branch in items:
        results.append(read_one(root, branch))
        tick()
    return results


def read_one(root: Path, branch: str | None) -> RepoFacts:
    try:
        return gather(root, branch)
    except QdevError as exc:
        return RepoFacts(error=exc.message)


def _read_in_workers(
    items: Sequence[tuple[Path, str | None]], jobs: int, tick: Callable[[], None]
) -> list[RepoFacts]:
    """Spread the repos over `jobs` worker processes (qdev.fleet.worker), round robin."""
    import json
    import sys

    from qdev.errors import ToolFailed
    from qdev.tools import process

    found: dict[str, RepoFacts] = {}

    def take(line: str) -> None:
        answer = json.loads(line)
        found[answer["root"]] = RepoFacts.from_json(answer["facts"])
        tick()

    def work(share: Sequence[tuple[Path, str | None]]) -> process.ProcessResult:
        todo = json.dumps([{"root": str(root), "branch": branch} for root, branch in share])
        argv = [sys.executable, "-m", "qdev.fleet.worker"]
        return process.run_lines(argv, take, input_text=todo)

    shares = [items[start::jobs] for start in range(min(jobs, len(items)))]
    with ThreadPoolExecutor(max_workers=len(shares)) as pool:
        results = list(pool.map(work, shares))
    for result in results:
        if not result.ok:
            raise ToolFailed(f"a qdev fleet worker failed: {result.stderr.strip()[-2000:]}")
    return [found[str(root)] for root, _ in items]


def _check_all(
    members: Sequence[Member],
    roots: dict[str, Path],
    found: dict[str, RepoFacts],
    progress: Progress | None,
) -> None:
    """`qdev check` in each readable repo, one repo at a time (each runs its steps in parallel)."""
    readable = [m for m in members if found[m.name].error is None]
    for at, member in enumerate(readable, start=1):
        if found[member.name].config_valid is False:
            checked: dict[str, Any] = {
                "check_status": "not_run",
                "check_summary": "the config is not valid",
                "check_fresh": True,
            }
        else:
            checked = fresh_check(roots[member.name])
        found[member.name] = replace(found[member.name], **checked)
        if progress is not None:
            progress("checking", at, len(readable))


# -- what the fleet knows ----------------------------------------------------------------------


def _latest_of(roots: dict[str, Path], found: dict[str, RepoFacts]) -> dict[str, Latest]:
    known: dict[str, list[str] | None] = {}
    latest = {}
    for name, facts in found.items():
        if facts.version is None or facts.profile_source is None:
            continue
        releases = _releases(
            facts.profile_source, roots[name], known, git=facts.recorded_ref is not None
        )
        latest[name] = _behind(facts.version, releases)
    return latest


def _releases(
    source: str, root: Path, known: dict[str, list[str] | None], *, git: bool
) -> list[str] | None:
    """The profile's released versions, oldest first: git tags, or the one version a built-in
    or folder profile has; None when they cannot be told (a mirror not in the cache)."""
    from qdev.profile import source as profiles

    key = source
    if source != "builtin" and not os.path.isabs(source) and "://" not in source:
        key = str((root / source).resolve())
    if key in known:
        return known[key]
    try:
        if git:
            found: list[str] | None = _tags(source, root)
        elif source == "builtin":
            found = [profiles.builtin().version]
        else:
            found = [profiles.from_folder(Path(key)).version]
    except QdevError:
        found = None
    known[key] = found
    return found


def _tags(url: str, root: Path) -> list[str] | None:
    from qdev.profile.cache import mirror_path, resolve_url
    from qdev.profile.source import SEMVER, semver_key
    from qdev.tools import git

    mirror = mirror_path(resolve_url(url, root))
    if not mirror.is_dir():
        return None
    tags = [t for t in git.tag_list(mirror) if SEMVER.match(t.removeprefix("v"))]
    return sorted(tags, key=lambda t: semver_key(t.removeprefix("v")))


def _behind(version: str, releases: list[str] | None) -> Latest:
    from qdev.profile.source import semver_key

    if not releases:
        return Latest(None, 0)
    have = semver_key(version)
    newer = [r for r in releases if semver_key(r.removeprefix("v")) > have]
    return Latest(releases[-1], len(newer))


def latest_release(source: str, root: Path) -> str | None:
    """The newest release of the git profile at `source` known here (None when unknown)."""
    releases = _releases(source, root, {}, git=True)
    return releases[-1] if releases else None
