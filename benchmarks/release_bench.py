"""Time `qdev release --dry-run` against `cz bump --dry-run` on the same synthetic repository.

The repository has 10,000 conventional commits and 500 annotated release tags (built in one go
with `git fast-import`); the last 5,000 commits come after the last tag, so both tools read,
parse and group 5,000 commits, and look through 500 tags. Target: qdev at most 1 s.

    uv run python benchmarks/release_bench.py [--commits 10000] [--tags 500] [--runs 5]

commitizen runs from its own throwaway environment (`uv tool run --from commitizen`), never as
a dependency of qdev; both tools are timed as direct executables, after one warm-up run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from qdev.tools import process

PYPROJECT = """\
[project]
name = "bench-pkg"
version = "{version}"
requires-python = ">=3.11"

[build-system]
requires = ["uv_build>=0.8,<0.14"]
build-backend = "uv_build"

[tool.qdev.release]
branch = "main"

[tool.commitizen]
name = "cz_conventional_commits"
version_provider = "pep621"
tag_format = "v$version"
major_version_zero = true  # as qdev: a breaking change before 1.0 is a minor bump
"""

KINDS = ("feat", "fix", "docs", "chore", "refactor", "perf", "test", "fix", "feat", "ci")
SCOPES = ("", "(risk)", "(signals)", "(io)", "(exec)")


def _data(text: str) -> str:
    return f"data {len(text.encode())}\n{text}\n"


def _tag_version(number: int) -> str:
    return f"0.{number // 100}.{number % 100}"


def fast_import_stream(commits: int, tags: int) -> str:
    """Commits 1..commits, a tag on every (commits // 2 // tags)-th of the first half."""
    every = max(1, commits // 2 // tags)
    last_version = _tag_version(tags)
    parts: list[str] = []
    for n in range(1, commits + 1):
        kind, scope = KINDS[n % len(KINDS)], SCOPES[n % len(SCOPES)]
        body = "\n\nBREAKING CHANGE: renamed a column" if n % 2500 == 0 else ""
        message = f"{kind}{scope}: change number {n}{body}"
        stamp = 1_700_000_000 + n * 60
        parts.append(f"commit refs/heads/main\nmark :{n}\n")
        parts.append(f"committer Bench <bench@example.com> {stamp} +0000\n{_data(message)}")
        if n == 1:
            for path, text in (
                ("pyproject.toml", PYPROJECT.format(version=last_version)),
                ("src/bench_pkg/__init__.py", f'__version__ = "{last_version}"\n'),
            ):
                parts.append(f"M 644 inline {path}\n{_data(text)}")
        parts.append(f"M 644 inline notes.txt\n{_data(str(n))}\n")
        tag_number = n // every
        if n % every == 0 and 1 <= tag_number <= tags:
            version = _tag_version(tag_number)
            parts.append(f"tag v{version}\nfrom :{n}\n")
            parts.append(
                f"tagger Bench <bench@example.com> {stamp} +0000\n{_data(f'release {version}')}"
            )
    return "".join(parts)


def build_repo(root: Path, commits: int, tags: int) -> None:
    for argv in (["git", "init", "-q", "-b", "main", str(root)],):
        process.run(argv, timeout=60)
    result = process.run(
        ["git", "fast-import", "--quiet"],
        cwd=root,
        input_text=fast_import_stream(commits, tags),
        timeout=600,
    )
    if not result.ok:
        raise SystemExit(f"git fast-import failed: {result.output}")
    process.run(["git", "reset", "-q", "--hard", "main"], cwd=root, timeout=120)


# Both tools get byte-compiled modules, as on a user's machine: the warm-up run writes them.
ENV = process.child_env(drop=("PYTHONDONTWRITEBYTECODE",))


def time_runs(argv: list[str], cwd: Path, runs: int) -> tuple[float, str]:
    warm = process.run(argv, cwd=cwd, env=ENV, timeout=600)
    if not warm.ok:
        raise SystemExit(f"{' '.join(argv)} failed:\n{warm.output}")
    seconds = [process.run(argv, cwd=cwd, env=ENV, timeout=600).seconds for _ in range(runs)]
    return statistics.median(seconds), warm.stdout


def cz_executable() -> str:
    uv = process.find_uv()
    found = process.run(
        [
            uv,
            "tool",
            "run",
            "--from",
            "commitizen",
            "python",
            "-c",
            "import shutil; print(shutil.which('cz'))",
        ],
        timeout=600,
    )
    if not found.ok or not found.stdout.strip():
        raise SystemExit(f"could not get commitizen with uv tool run:\n{found.output}")
    return found.stdout.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--tags", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qdev-release-bench-") as tmp:
        root = Path(tmp) / "repo"
        started = time.monotonic()
        build_repo(root, args.commits, args.tags)
        built = time.monotonic() - started
        print(f"repo: {args.commits} commits, {args.tags} tags, built in {built:.1f} s")
        qdev = [sys.executable, "-m", "qdev", "release", "--dry-run", "--skip-checks", "--no-push"]
        qdev_s, qdev_out = time_runs(qdev, root, args.runs)
        cz = [cz_executable(), "bump", "--dry-run", "--yes", "--changelog"]
        cz_s, cz_out = time_runs(cz, root, args.runs)
    print(f"qdev: {qdev_out.splitlines()[0]}")
    print(f"cz:   {next((line for line in cz_out.splitlines() if 'bump:' in line), '?')}")
    print(f"qdev release --dry-run         median: {qdev_s * 1000:6.0f} ms (target 1 s)")
    print(f"cz bump --dry-run --changelog  median: {cz_s * 1000:6.0f} ms")
    print(f"ratio qdev / cz: {qdev_s / cz_s:.2f}  (cz / qdev: {cz_s / qdev_s:.1f}x)")
    return 0 if qdev_s <= 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
