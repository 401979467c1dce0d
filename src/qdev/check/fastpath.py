"""`qdev check` answered from the caches before typer is imported.

A check with nothing changed is the commonest call (the git hook, a second run). The warm path
(warm.py) answers first from stat data alone; when it cannot, this module tries the stored run
again by content (replay.py), then every step from the step cache, both of which load more.
Anything the parser does not know, or any problem at all, returns None and the normal CLI runs
and reports it; the report itself is the same either way.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qdev.check.warm import parse

if TYPE_CHECKING:
    from qdev.check.model import CheckRun

__all__ = ["answer_from_cache", "parse"]


def answer_from_cache(args: Sequence[str]) -> int | None:
    """The exit code after printing a fully cached report, or None to take the normal path."""
    parsed = parse(args)
    if parsed is None:
        return None
    steps = parsed["steps"]
    assert isinstance(steps, list)
    fmt = str(parsed["fmt"])
    try:
        run = _cached_run(steps, bool(parsed["fail_fast"]), fmt)
    except Exception:  # never fail here: the normal path runs and reports any problem
        return None
    if run is None:
        return None
    from qdev.check.reporters import replay_streams

    out, err = replay_streams(run, fmt)
    sys.stderr.write(err)
    sys.stdout.write(out)
    sys.stdout.flush()
    return run.exit_code


def _cached_run(steps: list[str], fail_fast: bool, fmt: str) -> CheckRun | None:
    from pathlib import Path

    from qdev.check import replay

    key = replay.run_key(steps, fail_fast)
    return replay.lookup(Path.cwd(), key, shown=fmt) or _from_step_cache(steps, key, fail_fast, fmt)


def _from_step_cache(steps: list[str], key: str, fail_fast: bool, fmt: str) -> CheckRun | None:
    """Every step from the step cache (this loads the config); stored for replay next time."""
    from qdev.check import replay
    from qdev.check.api import CheckOptions, cached_check, load_with_inputs
    from qdev.errors import QdevError

    try:
        root, config, inputs = load_with_inputs()
        seen = replay.fingerprint(root, inputs)
        run = cached_check(root, config, CheckOptions(steps=steps, fail_fast=fail_fast))
    except QdevError:
        return None  # the normal path reports it properly
    if run is not None:
        problem = replay.save(root, key, inputs, seen, run, shown=fmt)
        if problem is not None:
            run.warnings.append(f"results were not cached: {problem}")
    return run
