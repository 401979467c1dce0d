"""What one repo says about itself, for `qdev fleet status`.

Each fact comes from the tool that owns it: the profile pin from `.qdev/state.toml`, drift from
`qdev.profile.drift.check_drift` (the same answer as `qdev sync --check`), config validity from
the config loader, the last `qdev check` result from the repo's check cache, and the rest from
a few git queries (one for-each-ref, one describe, one rev-list, one log). A fact that cannot be
had is recorded with why; one broken fact never hides the others.

Nothing here depends on the time of day or on the rest of the fleet (ages, the profile's
latest release): those are worked out when the report is made, so the facts can be memoized.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from qdev.errors import QdevError
from qdev.tools.git import RefInfo

RELEASE_TAGS = ("v[0-9]*", "[0-9]*")
"""Tags that count as releases: v1.2.3 and 1.2.3 (qdev release writes either)."""


@dataclass(frozen=True)
class DriftItem:
    path: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class RepoFacts:
    error: str | None = None
    """Why the repo could not be read at all (then nothing else is known)."""
    kind: str | None = None
    profile: str | None = None
    profile_source: str | None = None
    version: str | None = None
    """The profile version the repo's files came from."""
    recorded_ref: str | None = None
    pinned_ref: str | None = None
    """The ref the repo's config pins now (ahead of recorded_ref until `qdev sync` runs)."""
    drift: tuple[DriftItem, ...] | None = None
    """None when drift could not be told (drift_error says why)."""
    drift_error: str | None = None
    config_valid: bool | None = None
    config_problems: tuple[str, ...] = ()
    default_branch: str | None = None
    head: str | None = None
    head_time: int | None = None
    release_tag: str | None = None
    release_time: int | None = None
    commits_since_release: int | None = None
    """Commits on the default branch since the last release (all of them when none)."""
    lock_present: bool = False
    lock_time: int | None = None
    """When uv.lock last changed on the default branch (None: not committed)."""
    git_error: str | None = None
    check_status: str = "unknown"
    """passed, failed, not_run, or unknown (no result in the repo's check cache)."""
    check_time: float | None = None
    check_failed: tuple[str, ...] = ()
    check_summary: str = ""
    check_fresh: bool = False
    """Run by this `qdev fleet status --check` rather than read from the cache."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RepoFacts:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("drift") is not None:
            values["drift"] = tuple(DriftItem(**item) for item in values["drift"])
        for name in ("config_problems", "check_failed"):
            values[name] = tuple(values.get(name, ()))
        return cls(**values)


def gather(root: Path, branch: str | None = None) -> RepoFacts:
    """Every fact of the repo at `root`; `branch` names its default branch when git cannot."""
    if not (root / ".git").exists():
        what = "does not exist" if not root.exists() else "is not a git work tree"
        return RepoFacts(error=f"{root} {what}")
    values: dict[str, Any] = {}
    values.update(profile_facts(root))
    values.update(drift_facts(root))
    values.update(git_facts(root, branch))
    values.update(check_facts(root))
    return RepoFacts(**values)


# -- profile pin and drift ---------------------------------------------------------------------


def profile_facts(root: Path) -> dict[str, Any]:
    from qdev.fleet.select import read_labels
    from qdev.profile import state as state_file

    try:
        labels = read_labels(root)
        recorded = state_file.read(root)
    except QdevError as exc:
        return {"drift_error": exc.message}
    found: dict[str, Any] = {"kind": labels.kind, "pinned_ref": labels.ref}
    if recorded is not None:
        found.update(
            profile=recorded.profile,
            profile_source=recorded.source,
            version=recorded.version,
            recorded_ref=recorded.ref,
        )
    return found


def drift_facts(root: Path) -> dict[str, Any]:
    """Drift as `qdev sync --check` tells it, and whether the config is valid."""
    from qdev.errors import ConfigError
    from qdev.profile.drift import Reason, check_drift

    try:
        report = check_drift(root)
    except ConfigError as exc:
        return {"config_valid": False, "config_problems": tuple(exc.problems)}
    except QdevError as exc:
        return {"drift_error": exc.message, **config_facts(root)}
    items = tuple(DriftItem(d.path, d.reason.value, d.detail) for d in report.drifts)
    found: dict[str, Any] = {"drift": items, "pinned_ref": report.pinned.ref}
    if any(d.reason in (Reason.CONFLICT, Reason.INTERRUPTED) for d in report.drifts):
        found.update(config_facts(root))  # drift stopped before the config was loaded
    else:
        found["config_valid"] = True  # the drift check loaded it
    return found


def config_facts(root: Path) -> dict[str, Any]:
    from qdev.config.loader import load_config
    from qdev.errors import ConfigError

    try:
        load_config(root)
    except ConfigError as exc:
        return {"config_valid": False, "config_problems": tuple(exc.problems)}
    except QdevError as exc:
        return {"config_valid": False, "config_problems": (exc.message,)}
    return {"config_valid": True}


# -- git ---------------------------------------------------------------------------------------


def git_facts(root: Path, branch: str | None) -> dict[str, Any]:
    from qdev.tools import git

    try:
        refs = {ref.name: ref for ref in git.refs(root)}
        name, head = default_head(root, refs, branch)
        if head is None:
            return {"default_branch": name, "git_error": "the default branch has no commits"}
        found: dict[str, Any] = {
            "default_branch": name,
            "head": head.commit,
            "head_time": head.time,  # a branch's creator date is its commit's
        }
        found.update(release_facts(root, head.commit, refs))
        found.update(lock_facts(root, head.commit))
    except git.GitError as exc:
        return {"git_error": exc.message}
    return found


def default_head(
    root: Path, refs: dict[str, RefInfo], branch: str | None
) -> tuple[str | None, RefInfo | None]:
    """The default branch's name and its newest commit: local, else origin's."""
    name = branch or _default_name(root, refs)
    if name is None:
        return None, None
    for ref in (f"refs/heads/{name}", f"refs/remotes/origin/{name}"):
        if ref in refs:
            return name, refs[ref]
    return name, None


def _default_name(root: Path, refs: dict[str, RefInfo]) -> str | None:
    origin_head = refs.get("refs/remotes/origin/HEAD")
    if origin_head is not None and origin_head.target:
        return origin_head.target.removeprefix("refs/remotes/origin/")
    for name in ("main", "master"):
        if f"refs/heads/{name}" in refs or f"refs/remotes/origin/{name}" in refs:
            return name
    head_file = root / ".git" / "HEAD"
    if head_file.is_file():
        text = head_file.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("ref: refs/heads/"):
            return text.removeprefix("ref: refs/heads/")
    return None


def release_facts(root: Path, head: str, refs: dict[str, RefInfo]) -> dict[str, Any]:
    from qdev.tools import git

    tag = git.nearest_tag(root, head, RELEASE_TAGS)
    if tag is None:
        return {"commits_since_release": git.count_commits(root, head)}
    ref = refs.get(f"refs/tags/{tag}")
    return {
        "release_tag": tag,
        "release_time": ref.time if ref is not None else None,
        "commits_since_release": git.count_commits(root, f"refs/tags/{tag}..{head}"),
    }


def lock_facts(root: Path, head: str) -> dict[str, Any]:
    from qdev.tools import git

    if not (root / "uv.lock").is_file():
        return {"lock_present": False}
    return {"lock_present": True, "lock_time": git.last_change(root, head, "uv.lock")}


# -- qdev check --------------------------------------------------------------------------------


def check_facts(root: Path) -> dict[str, Any]:
    """The newest complete `qdev check` run the repo's check cache holds."""
    from qdev.check.cache import FOLDER

    entries = []
    for path in (root / FOLDER).glob("run@*.json"):
        try:
            entries.append((path.stat().st_mtime, path))
        except OSError:
            continue
    for when, path in sorted(entries, reverse=True):
        try:
            results = json.loads(path.read_text(encoding="utf-8"))["results"]
            statuses = {str(r["id"]): str(r["status"]) for r in results}
        except (OSError, ValueError, KeyError, TypeError):
            continue
        return summarize_check(statuses, when, fresh=False)
    return {"check_status": "unknown"}


def summarize_check(statuses: dict[str, str], when: float, *, fresh: bool) -> dict[str, Any]:
    failed = tuple(step for step, status in statuses.items() if status == "failed")
    not_run = [step for step, status in statuses.items() if status == "not_run"]
    status = "passed"
    if failed:
        status = "failed"
    elif not_run and len(not_run) == len(statuses):
        status = "not_run"
    values = list(statuses.values())
    counts = {s: values.count(s) for s in ("passed", "failed", "not_run", "skipped")}
    summary = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n)
    return {
        "check_status": status,
        "check_time": when,
        "check_failed": failed,
        "check_summary": summary,
        "check_fresh": fresh,
    }


def fresh_check(root: Path) -> dict[str, Any]:
    """Run the repo's default `qdev check` now (cached steps answered from the cache), and
    store the run as `qdev check` does, so later status calls read it."""
    import time

    from qdev.check import replay
    from qdev.check.api import CheckOptions, load_with_inputs, run_check

    try:
        found_root, config, inputs = load_with_inputs(root)
        seen = replay.fingerprint(found_root, inputs)
        run = run_check(found_root, config, CheckOptions())
        replay.save(found_root, replay.run_key([], False), inputs, seen, run)
    except QdevError as exc:
        return {"check_status": "not_run", "check_summary": exc.message, "check_fresh": True}
    statuses = {result.id: result.status.value for result in run.results}
    return summarize_check(statuses, time.time(), fresh=True)
