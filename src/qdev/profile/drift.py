"""`qdev sync --check`: is this repo where its team profile says it should be?

Drift, per path, and why:
- `profile newer`: the profile at the pinned ref renders the file differently from what the repo
  got (or qdev.toml pins a ref the files are not from yet);
- `config changed`: the repo's config renders it differently (e.g. a new Python version);
- `file edited`: a `managed` file was edited since qdev last wrote it (`merged` files are the
  repo's to edit too, so their edits are not drift);
- `file deleted`: a managed file is gone and sync has not recorded that it stays gone;
- `unresolved conflict`: a file sync left in conflict still holds its markers;
- `interrupted sync`: a sync was killed mid-way and must be undone (any `qdev sync` does it).

The answer is exactly what `qdev sync` would do (the planner decides), so `qdev sync` followed by
`qdev sync --check` always exits 0 unless conflicts are left. The planner needs the config
models, the profile's templates and git; the common case, nothing changed since the last check,
is answered from a memo in the user's cache keyed by the bytes of every input (the state, the
config files, each managed file, the profile's identity, QDEV_* variables, git's index). That
path imports no pydantic, GitPython, tomlkit or typer, so the hook and CI pay little for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from qdev import __version__, stamps
from qdev.errors import UsageError
from qdev.profile import state as state_file
from qdev.profile.state import ProfileState

MEMO_VERSION = "1"


class Reason(StrEnum):
    PROFILE_NEWER = "profile newer"
    CONFIG_CHANGED = "config changed"
    EDITED = "file edited"
    DELETED = "file deleted"
    CONFLICT = "unresolved conflict"
    INTERRUPTED = "interrupted sync"


@dataclass(frozen=True)
class Drift:
    path: str
    reason: Reason
    detail: str = ""


@dataclass(frozen=True)
class Pin:
    """Which profile a repo's files came from, as its `.qdev/state.toml` records it."""

    profile: str
    version: str
    source: str
    """"builtin", a folder relative to the repo, or the profile's git URL."""
    ref: str | None = None
    commit: str | None = None


@dataclass(frozen=True)
class DriftReport:
    root: Path
    recorded: Pin
    """The profile the files came from."""
    pinned: Pin
    """The profile the repo's config names now (version and commit as resolved)."""
    drifts: tuple[Drift, ...] = ()
    newer: tuple[str, ...] = ()
    """Tags newer than the pinned ref that the cached profile repository knows (informational)."""
    from_memo: bool = field(default=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.drifts

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_json(self) -> dict[str, object]:
        return {
            "root": str(self.root),
            "ok": self.ok,
            "recorded": asdict(self.recorded),
            "pinned": asdict(self.pinned),
            "drift": [
                {"path": d.path, "reason": d.reason.value, "detail": d.detail} for d in self.drifts
            ],
            "newer": list(self.newer),
        }

    @classmethod
    def from_json(cls, data: Any) -> DriftReport:
        return cls(
            Path(str(data["root"])),
            Pin(**data["recorded"]),
            Pin(**data["pinned"]),
            tuple(Drift(d["path"], Reason(d["reason"]), d["detail"]) for d in data["drift"]),
            tuple(str(t) for t in data["newer"]),
            from_memo=True,
        )

    def text(self, *, conflicts_only: bool = False, as_json: bool = False) -> str:
        """What `qdev sync --check` prints: the report as text or JSON."""
        if as_json:
            return json.dumps(self.to_json(), indent=2) + "\n"
        if conflicts_only and self.ok:
            return f"{self.root.name}: no unresolved sync conflicts\n"
        return self.render()

    def render(self) -> str:
        """The plain-text report."""
        name = self.root.name
        pinned = _label(self.pinned)
        if self.ok:
            lines = [f"{name}: up to date with profile {pinned}"]
        else:
            lines = [f"{name}: drifted from profile {pinned}"]
            width = max(len(d.reason.value) for d in self.drifts)
            for d in self.drifts:
                detail = f"  ({d.detail})" if d.detail else ""
                lines.append(f"  {d.reason.value:<{width}}  {d.path}{detail}")
            count = len(self.drifts)
            lines.append(
                f"{count} drift{'s' * (count != 1)}: run `qdev sync` (see `qdev sync --dry-run`)"
            )
        if self.newer:
            lines.append(
                f"newer profile versions: {', '.join(self.newer)} "
                f"(`qdev sync --ref {self.newer[-1]}` moves to the newest)"
            )
        return "\n".join(lines) + "\n"


def _label(pin: Pin) -> str:
    where = f" ({pin.ref})" if pin.ref else ""
    return f"{pin.profile} {pin.version}{where}"


def find_root(start: Path) -> Path:
    """The work tree holding `start`: the nearest folder with `.git` (no git process)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    raise UsageError(
        f"{start} is not inside a git repository", fix="run qdev sync --check in the repo"
    )


def _pin(recorded: ProfileState) -> Pin:
    return Pin(recorded.profile, recorded.version, recorded.source, recorded.ref, recorded.commit)


def check_drift(start: Path, *, conflicts_only: bool = False) -> DriftReport:
    """Every way the repo at `start` differs from what its pinned profile gives it.

    `conflicts_only` asks only whether conflicts left by a sync are still unresolved (the git
    hook's question): no rendering at all.
    """
    from qdev.release.journal import find_git_dir

    root = find_root(start)
    recorded = state_file.read(root)
    if recorded is None:
        raise UsageError(
            f"{root} has no {state_file.STATE_FILE}: it was not made or adopted by qdev init",
            fix="run `qdev init` in it first (it adopts an existing repo)",
        )
    pin = _pin(recorded)
    git_dir = find_git_dir(root)
    from qdev.profile import transaction

    if git_dir is not None and transaction.pending(git_dir):
        drift = Drift(".", Reason.INTERRUPTED, "a sync was interrupted; `qdev sync` undoes it")
        return DriftReport(root, pin, pin, (drift,))
    conflicts = _conflicts(root, recorded)
    if conflicts_only or conflicts:
        # Files in conflict may not even parse (markers in pyproject.toml): resolving them
        # comes before any other question.
        return DriftReport(root, pin, pin, tuple(conflicts))
    try:
        remembered = _remembered(root, recorded, git_dir)
    except (KeyError, TypeError, ValueError):
        remembered = None  # an unreadable memo is recomputed
    if remembered is not None:
        return remembered
    report, paths = _check(root, recorded)
    key = _memo_key(root, recorded, git_dir, paths)
    if key is not None:
        _memo_save(root, {"key": key, "paths": paths, "report": report.to_json()})
    return report


def cached_drift(start: Path) -> DriftReport | None:
    """The answer when the memo has it for the repo as it is now, else None (no heavy imports)."""
    from qdev.profile import transaction
    from qdev.release.journal import find_git_dir

    root = find_root(start)
    recorded = state_file.read(root)
    git_dir = find_git_dir(root)
    if recorded is None or (git_dir is not None and transaction.pending(git_dir)):
        return None
    return _remembered(root, recorded, git_dir)


def _remembered(root: Path, recorded: ProfileState, git_dir: Path | None) -> DriftReport | None:
    """The memo's report when its key still matches the repo as it is now, else None."""
    remembered = _memo_load(root)
    key = _memo_key(root, recorded, git_dir, remembered.get("paths", []))
    if key is None or remembered.get("key") != key:
        return None
    return DriftReport.from_json(remembered["report"])


def _conflicts(root: Path, recorded: ProfileState) -> list[Drift]:
    from qdev.profile.merge3 import has_markers

    found = []
    for path, record in sorted(recorded.files.items()):
        target = root / path
        if record.conflict and target.is_file():
            text = target.read_bytes().decode("utf-8", errors="replace")
            if has_markers(text):
                found.append(Drift(path, Reason.CONFLICT, "conflict markers left by qdev sync"))
    return found


# -- the full answer (the planner) -----------------------------------------------------------


def _check(root: Path, recorded: ProfileState) -> tuple[DriftReport, list[str]]:
    """The report, and every path the answer looked at."""
    from qdev.profile.source import Policy
    from qdev.profile.sync import Action, plan_sync

    plan = plan_sync(root, for_check=True)
    target = plan.profile
    same_profile = (target.version, plan.state.commit) == (recorded.version, recorded.commit)
    cause = Reason.CONFIG_CHANGED if same_profile else Reason.PROFILE_NEWER
    drifts: list[Drift] = []
    if plan.state.ref != recorded.ref and not same_profile:
        detail = f"the config pins {plan.state.ref}; the files are from {recorded.ref}"
        drifts.append(Drift(".", Reason.PROFILE_NEWER, detail))
    elif not same_profile:
        detail = f"the profile is {target.version}; the files are from {recorded.version}"
        drifts.append(Drift(".", Reason.PROFILE_NEWER, detail))
    for item in plan.files:
        record = recorded.files.get(item.path)
        if item.action == Action.DELETED:
            if record is not None and not record.deleted:
                drifts.append(Drift(item.path, Reason.DELETED, "sync keeps it deleted"))
        elif (
            item.policy == Policy.MANAGED
            and record is not None
            and record.written is not None
            and not record.conflict
            and not record.deleted
            and item.old is not None
            and state_file.sha256(item.old) != record.written
        ):
            drifts.append(Drift(item.path, Reason.EDITED, "edited since qdev wrote it"))
        elif item.writes and item.path != state_file.STATE_FILE:
            drifts.append(Drift(item.path, cause, f"sync would {_verb(item.action)} it"))
    if not drifts and _essence(recorded) != _essence(plan.state):
        drifts.append(
            Drift(state_file.STATE_FILE, cause, "the record of what was rendered is out of date")
        )
    report = DriftReport(
        root, _pin(recorded), _pin(plan.state), tuple(drifts), tuple(_newer(root, plan.state))
    )
    return report, sorted(item.path for item in plan.files)


def _essence(recorded: ProfileState) -> object:
    """What a state says about the profile and the render, less what sync notes of the repo's
    own doings (what it wrote, conflicts since resolved)."""
    files = {path: (r.template, r.deleted) for path, r in recorded.files.items()}
    return (
        recorded.profile,
        recorded.version,
        recorded.source,
        recorded.ref,
        recorded.commit,
        recorded.inputs,
        recorded.answers,
        files,
    )


def _verb(action: str) -> str:
    return {
        "create": "create",
        "update": "update",
        "merge": "merge the profile's change into",
        "conflict": "merge (with conflicts) the profile's change into",
        "remove": "remove",
    }.get(action, action)


def _newer(root: Path, pinned: ProfileState) -> list[str]:
    if pinned.ref is None or pinned.source == "builtin":
        return []
    from qdev.profile.cache import newer_tags

    try:
        return newer_tags(pinned.source, root, pinned.ref)
    except Exception:  # informational only: never fail a check over it
        return []


# -- the memo --------------------------------------------------------------------------------


def _memo_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("qdev") / "sync-check"


def _memo_file(root: Path) -> Path:
    return stamps.memo_file(_memo_dir(), str(root))


def _memo_key(
    root: Path, recorded: ProfileState, git_dir: Path | None, paths: list[str]
) -> str | None:
    """A hash of everything the answer depends on; None when it cannot be told cheaply."""
    config = root / "qdev.toml"
    if config.is_file() and b"branch" in config.read_bytes():
        return None  # a followed branch moves without anything here changing
    digest = hashlib.sha256(f"{MEMO_VERSION}\0{__version__}\0{root}\0".encode())
    every = {*recorded.files, *paths, state_file.STATE_FILE, "qdev.toml", "pyproject.toml"}
    for path in sorted(every):
        target = root / path
        data = target.read_bytes() if target.is_file() else b"\0missing"
        digest.update(path.encode() + b"\0" + hashlib.sha256(data).digest())
    for name, value in sorted(os.environ.items()):
        if name.startswith("QDEV_"):
            digest.update(f"{name}={value}\0".encode())
    digest.update(_profile_identity(root, recorded).encode())
    if git_dir is not None:
        digest.update(stamps.file_stamp(git_dir / "index").encode())
    from qdev.output import user_file

    user = Path(user_file())
    if user.is_file():
        digest.update(user.read_bytes())
    return digest.hexdigest()


def _profile_identity(root: Path, recorded: ProfileState) -> str:
    if recorded.commit is not None:
        return f"commit:{recorded.commit}"
    if recorded.source == "builtin":
        from qdev.profile.source import BUILTIN_DIR

        return stamps.tree_stamp(BUILTIN_DIR)
    return stamps.tree_stamp(root / recorded.source)


def _memo_load(root: Path) -> dict[str, Any]:
    try:
        data = json.loads(_memo_file(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _memo_save(root: Path, data: dict[str, Any]) -> None:
    from qdev.fileio import write_atomic

    with contextlib.suppress(OSError):  # a read-only cache only costs speed
        write_atomic(_memo_file(root), json.dumps(data))
