"""The result cache: one JSON file per (step, key) under `<repo>/.qdev/cache/check/`.

Entries are written whole through an atomic rename while holding a file lock, so a reader
sees a complete entry or none, two runs at once never corrupt each other, and a Ctrl-C
leaves no partial entry. Passes and failures are kept until their inputs change; a step that
could not run (an audit without its vulnerability service) is kept, as not run, for
NOT_RUN_SECONDS only, so that checking again soon does not wait for the same timeout.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from qdev.check.model import Status, StepResult
from qdev.fileio import write_atomic

FOLDER = Path(".qdev") / "cache" / "check"
KEEP_PER_STEP = 8
NOT_RUN_SECONDS = 900


class ResultCache:
    def __init__(self, root: Path) -> None:
        self.folder = root / FOLDER

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
        return StepResult(
            result.id, result.status, result.summary, result.seconds, True,
            result.findings, result.output, result.command,
        )  # fmt: skip

    def put(self, step: str, key: str, result: StepResult) -> None:
        if result.status is Status.SKIPPED:
            return
        from filelock import FileLock

        self.prepare()
        data: dict[str, object] = {"key": key, "result": result.to_json()}
        if result.status is Status.NOT_RUN:
            data["expires"] = time.time() + NOT_RUN_SECONDS
        entry = json.dumps(data, indent=1)
        with FileLock(str(self.folder / ".lock"), timeout=30):
            write_atomic(self._path(step, key), entry)
            self._prune(step)

    def clear(self) -> None:
        for path in self.folder.glob("*.json"):
            path.unlink(missing_ok=True)

    def prepare(self) -> None:
        """The cache folder, with a .gitignore so that git never sees what is in it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.folder.parent / ".gitignore"
        if not ignore.exists():
            write_atomic(ignore, "# qdev's caches: never committed\n*\n")

    def _prune(self, step: str) -> None:
        entries = sorted(
            self.folder.glob(f"{step}@*.json"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for old in entries[KEEP_PER_STEP:]:
            old.unlink(missing_ok=True)


# What tools write while they run: never an input, even where .gitignore forgets it.
TOOL_OUTPUT = re.compile(
    r"(^|/)(__pycache__|\.mypy_cache|\.ruff_cache|\.pytest_cache|\.hypothesis|\.nox|\.tox|"
    r"\.venv|[^/]+\.egg-info)/|(^|/)\.coverage(\.[^/]*)?$|\.py[cod]$"
)


def untracked_inputs(paths: list[str]) -> list[str]:
    """Untracked files that count as inputs: not the cache's own, not tools' output."""
    prefix = f"{FOLDER.parent.as_posix()}/"
    return [p for p in paths if not p.startswith(prefix) and not TOOL_OUTPUT.search(p)]
