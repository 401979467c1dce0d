"""`qdev fleet run -- CMD ...`: one command (an argument list, never a shell string) in every
selected repo's work tree, several at once, each repo's output kept together.

Like `xargs -P`, with the fleet's selection and a pass/fail table at the end. Every child runs
in its own process group through tools/process, so Ctrl-C or a timeout ends whole trees.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qdev.errors import QdevError
from qdev.fleet.clones import ensure_clone, workdir
from qdev.fleet.manifest import Fleet, Member

if TYPE_CHECKING:
    from qdev.tools.process import ChildGroup


@dataclass(frozen=True)
class RunResult:
    name: str
    root: Path
    returncode: int | None
    """None when the command could not be started (the reason is in `output`)."""
    output: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_everywhere(
    fleet: Fleet,
    members: Sequence[Member],
    argv: Sequence[str],
    *,
    jobs: int = 0,
    timeout: float | None = None,
    done: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """`argv` in each member's work tree; results in the members' order, `done` as each ends."""
    from qdev.errors import Interrupted
    from qdev.tools.process import ChildGroup

    children = ChildGroup()
    lock = threading.Lock()

    def one(member: Member) -> RunResult:
        result = _run_one(fleet, member, argv, children, timeout)
        if done is not None:
            with lock:
                done(result)
        return result

    pool = ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2)
    try:
        futures = [pool.submit(one, m) for m in members]
        return [future.result() for future in futures]
    except KeyboardInterrupt:
        children.end_all()
        raise Interrupted("interrupted") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_one(
    fleet: Fleet,
    member: Member,
    argv: Sequence[str],
    children: ChildGroup,
    timeout: float | None,
) -> RunResult:
    root = workdir(fleet, member)
    if member.remote:
        fetched = ensure_clone(fleet, member, refresh=False)
        if not fetched.ok:
            return RunResult(member.name, root, None, f"cannot be cloned: {fetched.detail}", 0.0)
    try:
        result = children.run(list(argv), cwd=root, timeout=timeout)
    except QdevError as exc:
        return RunResult(member.name, root, None, exc.message, 0.0)
    return RunResult(member.name, root, result.returncode, result.output, result.seconds)
