"""`qdev check` answered from the caches before typer is imported.

A check with nothing changed is the commonest call (the git hook, a second run). The warm path
(warm.py) answers first from stat data alone; when it cannot, this module tries the stored run
again by content (replay.py), then every step from the step cache, both of which load more.
Anything the parser does not know, or any problem at all, returns None and the normal CLI runs
and reports it; the report itself is the same either way. When a step must run, what was
loaded on the way (the config, the fingerprint) is handed to the normal CLI in this process,
so a cold check does not load it twice.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qdev.check.model import CheckRun
from qdev.check.warm import parse

if TYPE_CHECKING:
    from pathlib import Path

    from qdev.check.replay import Seen
    from qdev.config.models import QdevConfig

__all__ = ["Prepared", "answer_from_cache", "handed_over", "handing_over", "parse"]


@dataclass(frozen=True)
class Prepared:
    """What the step-cache path loaded before finding a step it could not answer: the full
    run that follows in the same process starts from it rather than load it all again."""

    folder: str
    root: Path
    config: QdevConfig
    inputs: list[str]
    seen: Seen


HANDOVER: ContextVar[Prepared | None] = ContextVar("qdev_check_handover", default=None)


@contextmanager
def handing_over(prepared: Prepared | None) -> Iterator[None]:
    """`prepared` is there for the full run inside the block, and gone after it."""
    token = HANDOVER.set(prepared)
    try:
        yield
    finally:
        HANDOVER.reset(token)


def handed_over() -> Prepared | None:
    """What the step-cache path prepared for this run, if it ran in this working folder."""
    prepared = HANDOVER.get()
    return prepared if prepared is not None and prepared.folder == os.getcwd() else None


def answer_from_cache(args: Sequence[str]) -> tuple[int | None, Prepared | None]:
    """The exit code after printing a fully cached report (None to take the normal path),
    and what was loaded on the way, for the normal path to start from."""
    parsed = parse(args)
    if parsed is None:
        return None, None
    steps = parsed["steps"]
    assert isinstance(steps, list)
    fmt = str(parsed["fmt"])
    try:
        found = _cached_run(steps, bool(parsed["fail_fast"]), fmt)
    except Exception:  # never fail here: the normal path runs and reports any problem
        return None, None
    if not isinstance(found, CheckRun):
        return None, found
    from qdev.check.reporters import replay_streams

    out, err = replay_streams(found, fmt)
    sys.stderr.write(err)
    sys.stdout.write(out)
    sys.stdout.flush()
    return found.exit_code, None


def _cached_run(steps: list[str], fail_fast: bool, fmt: str) -> CheckRun | Prepared | None:
    from pathlib import Path

    from qdev.check import replay

    key = replay.run_key(steps, fail_fast)
    return replay.lookup(Path.cwd(), key, shown=fmt) or _from_step_cache(steps, key, fail_fast, fmt)


def _from_step_cache(
    steps: list[str], key: str, fail_fast: bool, fmt: str
) -> CheckRun | Prepared | None:
    """Every step from the step cache (this loads the config), stored for replay next time;
    else what was loaded, for the full run."""
    from qdev.check import replay
    from qdev.check.api import CheckOptions, cached_check, load_with_inputs
    from qdev.errors import QdevError

    try:
        root, config, inputs = load_with_inputs()
        seen = replay.fingerprint(root, inputs)
        run = cached_check(root, config, CheckOptions(steps=steps, fail_fast=fail_fast))
    except QdevError:
        return None  # the normal path reports it properly
    if run is None:
        return Prepared(os.getcwd(), root, config, inputs, seen)
    problem = replay.save(root, key, inputs, seen, run, shown=fmt)
    if problem is not None:
        run.warnings.append(f"results were not cached: {problem}")
    return run
