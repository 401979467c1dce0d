"""Time adopting the corpus of real projects (tests/corpus/projects.toml), end to end.

    uv run python benchmarks/adopt_bench.py [--only NAME ...] [--keep DIR]

For each project: the repo is made from its pinned sdist (cached under
~/.cache/qdev-tests/corpus), then timed, each from a fresh copy:

- `qdev init --dry-run --yes` (reading the facts and planning, no build, no environment);
- `qdev init --yes` (with --migrate for a Poetry project), proof builds and environment included;
- `qdev check test typecheck` on the corpus's part of the project's own tests;
- `qdev release --dry-run --skip-checks` once the adoption is committed.

Prints one row per project (outcome and seconds of each) and, for the largest project, the
dry-run and the full adoption times. The uv cache is the machine's own: the first run of a
project downloads its dependencies, later runs measure qdev.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus.corpus import Project, make_repo, projects, sdist

from qdev.tools import process


def qdev(repo: Path, *args: str) -> tuple[int, float, str]:
    env = {**os.environ, "NO_COLOR": "1", "UV_PYTHON_DOWNLOADS": "never"}
    started = time.monotonic()
    ran = process.run([sys.executable, "-m", "qdev", *args], cwd=repo, env=env, timeout=1800)
    return ran.returncode, time.monotonic() - started, ran.output


def git(repo: Path, *args: str) -> None:
    process.run(["git", *args], cwd=repo)


def bench(project: Project, work: Path) -> dict[str, tuple[int, float]]:
    repo = make_repo(project, work / project.name)
    remote = work / f"{project.name}.git"
    git(work, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "-u", "origin", project.branch, "--tags")
    row: dict[str, tuple[int, float]] = {}
    migrate = ["--migrate"] if project.expect == "migrate" else []
    code, seconds, _ = qdev(repo, "init", ".", "--yes", "--dry-run", *migrate)
    row["dry-run"] = (code, seconds)
    code, seconds, _ = qdev(repo, "init", ".", "--yes", *migrate)
    row["init"] = (code, seconds)
    if code != 0:
        return row
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "--no-verify", "-m", "chore: adopt the qdev standard")
    if project.test_args:
        config = repo / "qdev.toml"
        args = ", ".join(f'"{arg}"' for arg in project.test_args)
        config.write_text(config.read_text() + f"\n[check.test]\nargs = [{args}]\n")
        row["check"] = qdev(repo, "check", "test", "typecheck", "--no-cache")[:2]
        git(repo, "checkout", "--", "qdev.toml")
    row["release"] = qdev(repo, "release", "--dry-run", "--skip-checks", "--yes")[:2]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="project names (default: all)")
    parser.add_argument("--keep", type=Path, help="keep the repos in this folder")
    options = parser.parse_args()
    chosen = {n: p for n, p in projects().items() if not options.only or n in options.only}
    work = options.keep or Path(tempfile.mkdtemp(prefix="qdev-adopt-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{'project':20} {'dry-run':>12} {'init':>12} {'check':>12} {'release':>12}")
    rows = {}
    try:
        for name, project in chosen.items():
            rows[name] = row = bench(project, work)
            cells = [
                f"{row[k][0]:>3} {row[k][1]:6.1f}s" if k in row else f"{'-':>12}"
                for k in ("dry-run", "init", "check", "release")
            ]
            print(f"{name:20} " + " ".join(f"{cell:>12}" for cell in cells), flush=True)
    finally:
        if options.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    sizes = {name: sdist(project).stat().st_size for name, project in chosen.items()}
    largest = max(sizes, key=lambda n: sizes[n])
    print(
        f"\nlargest ({largest}, {sizes[largest] // 1024} KiB sdist): facts and plan "
        f"(--dry-run) {rows[largest]['dry-run'][1]:.1f} s; full adoption "
        f"{rows[largest]['init'][1]:.1f} s (exit codes: 0 adopted, 2 refused with the fix)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
