"""Start-up time of `qdev --version` and `qdev --help`, as ratios over `python -c pass`.

Run: `uv run python benchmarks/startup.py [--runs N] [--check]`

Every command runs on the interpreter running this script, interleaved round by round so that
a busy machine slows all of them alike; the figure is the median wall time. `qdev --help` is
measured twice: answered from the help cache (every call after the first for a given qdev
version and terminal) and rendered by typer (a fresh cache folder per run). Targets: --version
at most 2x bare Python, cached --help at most 6x. `--check` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from _common import qdev_command


@dataclass(frozen=True)
class Case:
    label: str
    argv: list[str]
    target: float | None = None  # the highest acceptable ratio over bare Python
    fresh_cache: bool = False  # a new, empty help cache for every run


def time_once(argv: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - started


def measure(cases: list[Case], runs: int, scratch: Path) -> dict[str, list[float]]:
    env = {**os.environ, "XDG_CACHE_HOME": str(scratch / "warm")}
    for case in cases:  # warm the OS file cache and the help cache
        time_once(case.argv, env)
    timings: dict[str, list[float]] = {case.label: [] for case in cases}
    for run in range(runs):
        for case in cases:
            run_env = env
            if case.fresh_cache:
                run_env = {**env, "XDG_CACHE_HOME": str(scratch / f"cold-{run}")}
            timings[case.label].append(time_once(case.argv, run_env))
    return timings


def report(cases: list[Case], timings: dict[str, list[float]]) -> bool:
    base = statistics.median(timings[cases[0].label])
    met = True
    print(f"{'command':<34} {'median':>9} {'ratio':>7}  target")
    for case in cases:
        median = statistics.median(timings[case.label])
        ratio = median / base
        verdict = ""
        if case.target is not None:
            ok = ratio <= case.target
            met = met and ok
            verdict = f"<= {case.target:g}x  {'ok' if ok else 'MISSED'}"
        print(f"{case.label:<34} {median * 1000:>7.1f}ms {ratio:>6.2f}x  {verdict}")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=20, help="runs of each command (>= 10)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    options = parser.parse_args(argv)
    runs = max(options.runs, 10)
    qdev = qdev_command()
    cases = [
        Case("python -c pass", [sys.executable, "-c", "pass"]),
        Case("qdev --version", [*qdev, "--version"], target=2.0),
        Case("qdev --help (cached)", [*qdev, "--help"], target=6.0),
        Case("qdev config --help (cached)", [*qdev, "config", "--help"], target=6.0),
        Case("qdev --help (first time)", [*qdev, "--help"], fresh_cache=True),
    ]
    scratch = Path(tempfile.mkdtemp(prefix="qdev-startup-"))
    try:
        timings = measure(cases, runs, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{runs} runs each, interleaved; interpreter {sys.executable} ({sys.version.split()[0]})")
    print(f"qdev: {' '.join(qdev)}")
    met = report(cases, timings)
    return 0 if met or not options.check else 1


if __name__ == "__main__":
    sys.exit(main())
