"""The result cache: one JSON file per (step, key) under `<repo>/.qdev/cache/check/`.

Entries are written whole through an atomic rename while holding a file lock, so a reader
sees a complete entry or none, two runs at once never corrupt each other, and a Ctrl-C
leaves no partial entry. Passes and failures are kept until their inputs change; a step that
could not run (an audit without its vulnerability service) is kept, as not run, for
NOT_RUN_SECONDS only, so that checking again soon does not wait for the same timeout.

The cache is an optimisation and never a source of answers of its own: an entry that cannot be
read is a miss, and one that cannot be written (read-only folder, full disk, a folder where the
entry belongs) leaves the run's own results standing, with one warning.
"""

from __future__ import annotations

import errno
import json
import time
from dataclasses import replace
from pathlib import Path

from qdev.check.model import Status, StepResult
from qdev.fileio import write_atomic

FOLDER = Path(".qdev") / "cache" / "check"
KEEP_PER_STEP = 8
NOT_RUN_SECONDS = 900
LOCK_SECONDS = 30


class ResultCache:
    def __init__(self, root: Path) -> None:
        self.folder = root / FOLDER
        self.problem: str | None = None
        """Why the cache could not be written, the first time it failed (then it is left alone)."""

    def _path(self, step: str, key: str) -> Path:
        return self.folder / f"{step}@{key[:40]}.json"

    def get(self, step: str, key: str) -> StepResult | None:
        try:
            data = json.loads(self._path(step, key).read_text(encoding="utf-8"))
            if data.get("key") != key or data.get("expires", float("inf")) < time.time():
                return None
            result = StepResult.from_json(data["result"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return replace(result, cached=True)

    def put(self, step: str, key: str, result: StepResult) -> None:
        if result.status is Status.SKIPPED:
            return
        data: dict[str, object] = {"key": key, "result": result.to_json()}
        if result.status is Status.NOT_RUN:
            data["expires"] = time.time() + NOT_RUN_SECONDS
        self.write(self._path(step, key), json.dumps(data, indent=1), prune=step)

    def write(self, path: Path, text: str | bytes, *, prune: str | None = None) -> bool:
        """Store one entry under the cache's lock. A failure (read-only folder, full disk,
        something in the way) is remembered in `problem`, never raised: the cache only saves
        time, so a run's answer must never depend on being able to store it."""
        if self.problem is not None:
            return False
        from filelock import FileLock, Timeout

        try:
            self.prepare()
            with FileLock(str(self.folder / ".lock"), timeout=LOCK_SECONDS):
                write_atomic(path, text)
                if prune is not None:
                    self._prune(prune)
        except (OSError, Timeout) as exc:
            self.problem = write_problem(path, exc)
            return False
        return True

    def prepare(self) -> None:
        """The cache folder, with a .gitignore so that git never sees what is in it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.folder.parent / ".gitignore"
        if not ignore.exists():
            write_atomic(ignore, "# qdev's caches: never committed\n*\n")

    def _prune(self, step: str) -> None:
        entries = sorted(
            (p for p in self.folder.glob(f"{step}@*.json") if p.is_file()),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in entries[KEEP_PER_STEP:]:
            old.unlink(missing_ok=True)


def write_problem(path: Path, exc: BaseException) -> str:
    """One line saying why the cache at `path` could not be written, and what fixes it."""
    folder = path.parent
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return f"{folder} is not writable ({reason}): make it writable, or pass --no-cache"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return f"no space left to store results in {folder} ({reason}): free some disk space"
        if exc.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.ENOTDIR, errno.EEXIST):
            return f"{path} is in the way of a cache entry ({reason}): remove it, or {folder}"
        return f"{path} could not be written ({reason})"
    return f"another qdev check held the lock on {folder} for {LOCK_SECONDS} s"
