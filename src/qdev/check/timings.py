"""The CPU time each step took when it last ran, kept to plan the next run's cores.

`<repo>/.qdev/cache/timings.json` maps a step to the CPU seconds of its tools. A step whose
tool keeps its own cache (mypy, ruff) has two: `typecheck` for a run with that cache and
`typecheck@cold` for one without, since a cold mypy takes many times an incremental one. It
only ever decides how work is spread (how many test workers), never a result, so a file that
cannot be read or written is simply no history.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from pathlib import Path

from qdev.check.cache import ResultCache
from qdev.check.model import StepResult
from qdev.fileio import write_atomic

FILE = Path(".qdev") / "cache" / "timings.json"
COLD = "@cold"


def load(root: Path, cold: Collection[str] = ()) -> dict[str, float]:
    """Each step's expected CPU seconds; for the `cold` steps (their tool without its cache),
    the time of the last such run where there was one."""
    known = _read(root)
    expected = {name: seconds for name, seconds in known.items() if COLD not in name}
    for step in cold:
        if f"{step}{COLD}" in known:
            expected[step] = known[f"{step}{COLD}"]
    return expected


def record(root: Path, results: Iterable[StepResult], cold: Collection[str] = ()) -> None:
    """Remember the CPU time of the steps that ran (not those answered from the cache)."""
    fresh = {
        f"{result.id}{COLD}" if result.id in cold else result.id: round(result.cpu_seconds, 3)
        for result in results
        if not result.cached and result.cpu_seconds is not None
    }
    if not fresh:
        return
    known = _read(root)
    if all(known.get(name) == value for name, value in fresh.items()):
        return
    try:
        ResultCache(root).prepare()  # the folder, ignored by git
        write_atomic(root / FILE, json.dumps({**known, **fresh}, indent=1, sort_keys=True))
    except OSError:
        pass  # no history next time: the run itself is unaffected


def _read(root: Path) -> dict[str, float]:
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
