"""The CPU time each step took when it last ran, kept to plan the next run's cores.

`<repo>/.qdev/cache/timings.json` maps a step to the CPU seconds of its tools. It only ever
decides how work is spread (how many test workers), never a result, so a file that cannot be
read or written is simply no history.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from qdev.check.cache import ResultCache
from qdev.check.model import StepResult
from qdev.fileio import write_atomic

FILE = Path(".qdev") / "cache" / "timings.json"


def load(root: Path) -> dict[str, float]:
    try:
        data = json.loads((root / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(name): float(value)
        for name, value in data.items()
        if isinstance(value, int | float) and value >= 0
    }


def record(root: Path, results: Iterable[StepResult]) -> None:
    """Remember the CPU time of the steps that ran (not those answered from the cache)."""
    fresh = {
        result.id: round(result.cpu_seconds, 3)
        for result in results
        if not result.cached and result.cpu_seconds is not None
    }
    if not fresh:
        return
    known = load(root)
    if all(known.get(name) == value for name, value in fresh.items()):
        return
    try:
        ResultCache(root).prepare()  # the folder, ignored by git
        write_atomic(root / FILE, json.dumps({**known, **fresh}, indent=1, sort_keys=True))
    except OSError:
        pass  # no history next time: the run itself is unaffected
