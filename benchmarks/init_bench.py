"""`qdev init` with its environment bootstrap against `uv init` + `uv add --dev` of the same tools.

Run: `uv run python benchmarks/init_bench.py [--runs N] [--kind KIND]`

Both sides start from an empty folder with a warm uv cache and end with a locked, synced
`.venv` holding ruff, mypy, pytest, pytest-cov, pip-audit, detect-secrets and pre-commit.
The warm-up round also writes qdev's bytecode cache, as any installed qdev has one (under
PYTHONDONTWRITEBYTECODE every timed run would otherwise compile what changed since the last
cache was written).
qdev also renders the profile (config, CI, hooks, noxfile, package and test), runs `git init`
and installs the pre-commit hook. Runs are interleaved round by round so a busy machine slows
both alike; the figure is the median wall time and the ratio qdev / uv (target <= 1.3), with
the load average printed each round.
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
from collections.abc import Callable
from pathlib import Path

from _common import qdev_command

TARGET = 1.3
DEV_TOOLS = ["ruff", "mypy", "pytest", "pytest-cov", "pip-audit", "detect-secrets", "pre-commit"]


def uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    from uv import find_uv_bin

    return str(find_uv_bin())


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(
        argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def with_qdev(folder: Path, env: dict[str, str], kind: str) -> None:
    run([*qdev_command(), "init", "demo", "--kind", kind, "--yes"], folder, env)


def with_uv(folder: Path, env: dict[str, str], kind: str) -> None:
    run([uv(), "init", "--lib" if kind == "library" else "--app", "demo"], folder, env)
    run([uv(), "add", "--dev", *DEV_TOOLS], folder / "demo", env)


def time_once(
    step: Callable[[Path, dict[str, str], str], None],
    scratch: Path,
    kind: str,
    *,
    warm_up: bool = False,
) -> float:
    folder = Path(tempfile.mkdtemp(dir=scratch))
    dropped = {"VIRTUAL_ENV", *(["PYTHONDONTWRITEBYTECODE"] if warm_up else [])}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(NO_COLOR="1", UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    started = time.perf_counter()
    step(folder, env, kind)
    elapsed = time.perf_counter() - started
    shutil.rmtree(folder)
    return elapsed


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kind", default="library", choices=["library", "research", "service"])
    args = parser.parse_args()
    cases = {"qdev init (with env)": with_qdev, "uv init + uv add --dev": with_uv}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        for step in cases.values():  # warm the uv cache, the OS file cache, qdev's bytecode
            time_once(step, scratch, args.kind, warm_up=True)
        timings: dict[str, list[float]] = {label: [] for label in cases}
        for number in range(args.runs):
            print(f"round {number + 1}: load average {load()}", flush=True)
            for label, step in cases.items():
                timings[label].append(time_once(step, scratch, args.kind))
        print(f"load average after: {load()}")
    medians = {label: statistics.median(values) for label, values in timings.items()}
    for label, value in medians.items():
        spread = ", ".join(f"{v:.2f}" for v in timings[label])
        print(f"{label:<24} median {value:6.2f} s   runs: {spread}")
    ratio = medians["qdev init (with env)"] / medians["uv init + uv add --dev"]
    print(f"ratio qdev / uv: {ratio:.2f}x  ({args.runs} runs, kind {args.kind}, warm uv cache)")
    print(f"target <= {TARGET}: {'met' if ratio <= TARGET else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
