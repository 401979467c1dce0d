"""`qdev check` answered from the cache before typer is imported.

A check with nothing changed is the commonest call (the git hook, a second run): when every
selected step is in the cache, `__main__` prints the report from here and exits, skipping the
cost of the CLI framework. Anything this parser does not know, or any problem at all, returns
None and the normal CLI runs and reports it; the report itself is the same either way.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qdev.check.reporters import FORMATS

if TYPE_CHECKING:
    from qdev.check.model import CheckRun

VALUE_OPTIONS = {"--format": "fmt", "-f": "fmt", "--jobs": "jobs", "-j": "jobs"}
FLAG_OPTIONS = {"--fail-fast": "fail_fast"}
STEP_WORD = re.compile(r"^[a-z0-9][a-z0-9_-]*$")  # as config's step names; no path looks so


def parse(args: Sequence[str]) -> dict[str, object] | None:
    """`[STEP...] [--format F] [--jobs N] [--fail-fast]`, or None for anything else (files
    to check, other options)."""
    parsed: dict[str, object] = {"steps": [], "fmt": "text", "jobs": None, "fail_fast": False}
    items = list(args)
    while items:
        item = items.pop(0)
        name, eq, inline = item.partition("=")
        if name in VALUE_OPTIONS:
            value = inline if eq else (items.pop(0) if items else None)
            if value is None:
                return None
            parsed[VALUE_OPTIONS[name]] = value
        elif item in FLAG_OPTIONS:
            parsed[FLAG_OPTIONS[item]] = True
        elif not STEP_WORD.match(item) or os.path.lexists(item):
            return None  # an option it does not know, or a file to check: the full CLI
        else:
            steps = parsed["steps"]
            assert isinstance(steps, list)
            steps.append(item)
    if parsed["fmt"] not in FORMATS or (
        parsed["jobs"] is not None and not str(parsed["jobs"]).isdigit()
    ):
        return None
    return parsed


def answer_from_cache(args: Sequence[str]) -> int | None:
    """The exit code after printing a fully cached report, or None to take the normal path."""
    parsed = parse(args)
    if parsed is None:
        return None
    steps = parsed["steps"]
    assert isinstance(steps, list)
    try:
        run = _cached_run(steps, bool(parsed["fail_fast"]))
    except Exception:  # never fail here: the normal path runs and reports any problem
        return None
    if run is None:
        return None
    from qdev.check.progress import PlainProgress, plain_progress_wanted
    from qdev.check.reporters import emit

    if not sys.stderr.isatty() and plain_progress_wanted(str(parsed["fmt"])):
        for result in run.results:  # the lines the normal path prints in CI
            PlainProgress().finished(result)
    emit(run, str(parsed["fmt"]), None)
    return run.exit_code


def _cached_run(steps: list[str], fail_fast: bool) -> CheckRun | None:
    from pathlib import Path

    from qdev.check import replay

    key = replay.run_key(steps, fail_fast)
    return replay.lookup(Path.cwd(), key) or _from_step_cache(steps, key, fail_fast)


def _from_step_cache(steps: list[str], key: str, fail_fast: bool) -> CheckRun | None:
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
        problem = replay.save(root, key, inputs, seen, run)
        if problem is not None:
            run.warnings.append(f"results were not cached: {problem}")
    return run
