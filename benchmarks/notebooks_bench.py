"""`qdev check notebooks` (first run, then cached) against executing the same notebooks directly
with `jupyter execute` from the repo's .venv.

Run: `uv run python benchmarks/notebooks_bench.py [--notebooks 6] [--runs 3]`

Builds a research repo with `qdev init --kind research`, adds N notebooks that import the repo's
package and compute for a moment, commits them, and times, median of --runs rounds:

- `jupyter execute` of every notebook, one after another (what one would run by hand);
- `qdev check notebooks --no-cache` (a first run: notebooks in parallel, plus the check that no
  outputs are committed);
- `qdev check notebooks` with nothing changed (answered from the cache).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CELLS = [
    "# Parameters\nn = 200_000",
    "from bench_research.core import simple_returns",
    "prices = [100.0 + (i % 97) * 0.25 for i in range(n)]\nreturns = simple_returns(prices)",
    "mean = sum(returns) / len(returns)\n"
    "variance = sum((r - mean) ** 2 for r in returns) / len(returns)",
    "assert variance > 0",
]


def notebook() -> dict[str, object]:
    cells: list[dict[str, object]] = [
        {"cell_type": "code", "execution_count": None, "id": str(index), "outputs": [],
         "metadata": {"tags": ["parameters"]} if index == 0 else {}, "source": source}
        for index, source in enumerate(CELLS)
    ]  # fmt: skip
    kernel = {"name": "bench-research", "display_name": "bench-research (.venv)"}
    return {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def make_repo(folder: Path, count: int, env: dict[str, str]) -> Path:
    qdev = [sys.executable, "-m", "qdev"]
    subprocess.run(
        [*qdev, "init", "bench-research", "--kind", "research", "--yes"], cwd=folder, env=env,
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    repo = folder / "bench-research"
    for index in range(count):
        path = repo / "notebooks" / f"study{index:02d}.ipynb"
        path.write_text(json.dumps(notebook(), indent=1) + "\n")
    subprocess.run(["git", "add", "--all"], cwd=repo, env=env, check=True)
    subprocess.run(
        ["git", "commit", "-q", "--no-verify", "-m", "notebooks"], cwd=repo, env=env, check=True
    )
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="qdev-notebooks-bench-"))
    drop = ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")  # keep bytecode, as an install does
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(
        NO_COLOR="1", UV_PYTHON_DOWNLOADS="never", CI="", XDG_DATA_HOME=str(scratch / "data"),
        GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com",
    )  # fmt: skip
    try:
        repo = make_repo(scratch, args.notebooks, env)
        notebooks = sorted(str(p) for p in (repo / "notebooks").glob("*.ipynb"))
        execute = [str(repo / ".venv" / "bin" / "jupyter"), "execute", *notebooks]
        check = [sys.executable, "-m", "qdev", "check", "notebooks"]
        run(execute, repo, env)  # untimed: bytecode and the OS file cache, for both sides
        run([*check, "--no-cache"], repo, env)
        times: dict[str, list[float]] = {"direct": [], "first": [], "cached": []}
        for _ in range(args.runs):
            times["direct"].append(run(execute, repo, env))
            times["first"].append(run([*check, "--no-cache"], repo, env))
            times["cached"].append(run(check, repo, env))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    direct, first, cached = (statistics.median(times[name]) for name in times)
    print(f"{args.notebooks} notebooks of {len(CELLS)} cells, median of {args.runs} runs")
    print(f"  jupyter execute, one by one      {direct:6.2f} s")
    print(f"  qdev check notebooks --no-cache  {first:6.2f} s  ({direct / first:4.1f}x faster)")
    print(f"  qdev check notebooks, cached     {cached:6.2f} s  ({direct / cached:4.0f}x faster)")


if __name__ == "__main__":
    main()
