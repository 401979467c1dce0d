"""Wall time of `qdev doctor` on a healthy repo (target: under 1 s).

Run: `uv run python benchmarks/doctor_bench.py [--runs N] [--check]`

Makes a library repo with `qdev init` (its environment and hook included) in a temporary
folder, then times the `qdev` console script beside this interpreter running `qdev doctor` in
it, with that script first on PATH (so the repo is healthy). The figure is the median wall
time, with the doctor's own figure (diagnoses only, without Python's and the CLI's start-up)
beside it. `--check` exits 1 when the median is 1 s or more, or when the repo is not healthy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import qdev_command
from qdev.tools.pythons import newest_pyenv_install

TARGET_SECONDS = 1.0
PYTHON = "3.12"


def environment(scratch: Path) -> dict[str, str]:
    """This qdev first on PATH, a git identity, and the repo's Python findable by uv."""
    (scratch / "gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "GIT_CONFIG_GLOBAL": str(scratch / "gitconfig"),
        "NO_COLOR": "1",
    }
    found = newest_pyenv_install(PYTHON)
    if found is not None:  # pyenv's shims answer only for the selected versions
        env["PYENV_VERSION"] = found.name
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        env = environment(scratch)
        subprocess.run(
            [*qdev_command(), "init", "demo", "--kind", "library", "--python", PYTHON, "--yes"],
            cwd=scratch, env=env, check=True, capture_output=True,
        )  # fmt: skip
        repo = scratch / "demo"
        walls, inner, healthy = [], [], True
        for _ in range(args.runs):
            started = time.perf_counter()
            done = subprocess.run(
                [*qdev_command(), "doctor", "--json"], cwd=repo, env=env, capture_output=True
            )
            walls.append(time.perf_counter() - started)
            report = json.loads(done.stdout)
            inner.append(float(report["seconds"]))
            healthy = healthy and done.returncode == 0
    wall, own = statistics.median(walls), statistics.median(inner)
    print(f"qdev doctor on a healthy repo, {args.runs} runs, medians:")
    print(f"  wall time (start-up included) {wall:.3f} s   (target < {TARGET_SECONDS:.1f} s)")
    print(f"  the diagnoses themselves      {own:.3f} s")
    print(f"  healthy every time: {healthy}")
    return 1 if args.check and (wall >= TARGET_SECONDS or not healthy) else 0


if __name__ == "__main__":
    sys.exit(main())
