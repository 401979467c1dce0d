"""How many cores a step may keep busy: the machine's, less those other steps hold.

A step that can spread its work (the test step's workers) is granted every core this process
may use, less one for each step running beside it that is expected to outlast it even on the
cores left: a shorter step only borrows a core for a while, and the operating system hands it
back to the workers when that step ends, so leaving it idle for the whole run would waste it.
Expectations come from the CPU time each step took in the last run (`timings`); a step never
timed is expected to be short.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def available(cgroup_root: Path = CGROUP_ROOT) -> int:
    """The cores this process may run on: its CPU affinity, capped by a container's CPU
    quota (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us`), where the count of the host's
    cores would be far too many."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    quota = cgroup_quota(cgroup_root)
    return max(1, min(cores, quota)) if quota else max(1, cores)


def cgroup_quota(root: Path = CGROUP_ROOT) -> int | None:
    """The CPU quota of this process's cgroup in whole cores (rounded up), or None."""
    pairs = [
        (root / "cpu.max", None),
        (root / "cpu" / "cpu.cfs_quota_us", root / "cpu" / "cpu.cfs_period_us"),
        (root / "cpu,cpuacct" / "cpu.cfs_quota_us", root / "cpu,cpuacct" / "cpu.cfs_period_us"),
    ]
    for quota_file, period_file in pairs:
        try:
            words = quota_file.read_text(encoding="ascii").split()
            if period_file is not None:
                words.append(period_file.read_text(encoding="ascii").strip())
        except OSError:
            continue
        if len(words) != 2 or words[0] in ("max", "-1"):
            return None
        try:
            quota, period = int(words[0]), int(words[1])
        except ValueError:
            return None
        return math.ceil(quota / period) if quota > 0 and period > 0 else None
    return None


def grant(
    step: str,
    alongside: Sequence[str],
    cores: int,
    expected: Mapping[str, float],
    jobs: int,
) -> int:
    """Cores `step` may use while the steps `alongside` run too (at most `jobs` steps at once).

    Each other step is taken to hold one core (the tools qdev runs for them use one each, or
    finish in a moment). It is left that core when that finishes sooner: with `c` cores
    shared fairly, one more worker ends `step`'s workers sooner, but the other step, slowed
    while they all run, ends `mine / c**2` after its own time. So it keeps its core when
    it is expected to take at least `mine / (c - 1) - mine / c**2`: about three quarters of
    `step`'s time on two cores, not all of it (a serial mypy as long as the tests then runs
    alone at the end while a core idles).
    """
    mine = expected.get(step)
    if mine is None or cores <= 1:
        return max(1, cores)
    others = sorted((expected.get(name, 0.0) for name in alongside), reverse=True)
    held = 0
    for other in others[: max(0, jobs - 1)]:
        left = cores - held - 1
        if left < 1 or other < mine / left - mine / (left + 1) ** 2:
            break
        held += 1
    return cores - held
