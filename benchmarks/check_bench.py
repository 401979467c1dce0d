"""Time `qdev check` against running its tools by hand, pre-commit and nox, in one run.

    uv run python benchmarks/check_bench.py [--modules 200] [--repeat 3] [--keep] [--xdist]

Builds a synthetic library repo with `qdev init --kind library`, adds N modules and N test
files, and times (median of --repeat runs, variants interleaved round by round so load from
other processes on a shared machine falls on all of them alike):

- the four tools (ruff format, ruff check, mypy, pytest with coverage) one after another by
  hand from the repo's .venv, from cold caches;
- `qdev check format lint typecheck test`, cold: no result cache and no tool caches, but
  qdev's record of each step's CPU time from earlier runs (`.qdev/cache/timings.json`, what
  it plans the cores with), as after any edit on a developer's machine;
- the same as a first run ever, without that record either (a fresh clone in CI);
- the same with the tools' own caches kept (qdev's result cache emptied, as after an edit
  that changes every step's key, or a CI run that restores the tools' caches);
- `pre-commit run --all-files` with local hooks for the same four tools, and `nox` with one
  session running them, both from cold caches;
- a second `qdev check` with nothing changed (answered from the cache);
- with --xdist, pytest-xdist added to the repo and `pytest -n CORES --cov` by hand, to
  compare its workers (each collects the whole suite) with qdev's (each its share).

Besides wall times it prints the CPU time of each tool (by hand and inside the cold qdev
run), how much of the machine's cores the cold run kept busy, and the floor: the tools' CPU
time spread over every core, as a share of the sequential wall time. The load average is
printed each round: on a shared machine, compare ratios within one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _common import qdev_command
from qdev.check.cores import available
from qdev.tools import process

PACKAGE = "benchlib"
STEPS = ("format", "lint", "typecheck", "test")
TOOL_CACHES = (
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".qdev/cache/check", ".qdev/cache/tools",
    ".coverage", ".nox",
)  # fmt: skip
TIMINGS = ".qdev/cache/timings.json"

MODULE = '''"""Signal helpers, batch {n}."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")
K = TypeVar("K")


class PriceSource{n}(Protocol):
    """Anything that can quote a price for an instrument."""

    def price(self, instrument: str) -> float | None: ...


@dataclass(frozen=True)
class Quote{n}:
    instrument: str
    bid: float
    ask: float
    venues: tuple[str, ...] = field(default_factory=tuple)

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2


@dataclass
class Book{n}(Generic[K, T]):
    """Latest value per key, with a history of every update."""

    latest: dict[K, T] = field(default_factory=dict)
    history: list[tuple[K, T]] = field(default_factory=list)

    def update(self, key: K, value: T) -> T | None:
        previous = self.latest.get(key)
        self.latest[key] = value
        self.history.append((key, value))
        return previous

    def select(self, keep: Callable[[K, T], bool]) -> Mapping[K, T]:
        return {{key: value for key, value in self.latest.items() if keep(key, value)}}


def best_quotes_{n}(quotes: Iterable[Quote{n}]) -> dict[str, Quote{n}]:
    """The tightest quote per instrument."""
    book: Book{n}[str, Quote{n}] = Book{n}()
    for quote in quotes:
        current = book.latest.get(quote.instrument)
        if current is None or quote.ask - quote.bid < current.ask - current.bid:
            book.update(quote.instrument, quote)
    return dict(book.latest)


def marks_{n}(source: PriceSource{n}, instruments: Sequence[str]) -> dict[str, float]:
    return {{name: p for name in instruments if (p := source.price(name)) is not None}}


def moving_average_{n}(values: Sequence[float], window: int) -> list[float]:
    """Trailing moving average; the first window - 1 points average what is there."""
    if window <= 0:
        raise ValueError("window must be positive")
    out: list[float] = []
    total = 0.0
    for index, value in enumerate(values):
        total += value
        if index >= window:
            total -= values[index - window]
        out.append(total / min(index + 1, window))
    return out


def zscore_{n}(values: Sequence[float]) -> list[float]:
    """Standard scores; a constant series scores zero everywhere."""
    if not values:
        return []
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / len(values)
    if var == 0:
        return [0.0 for _ in values]
    std = var**0.5
    return [(v - mean) / std for v in values]


class Position{n}:
    """A position in one instrument: quantity and average price."""

    def __init__(self, quantity: float = 0.0, price: float = 0.0) -> None:
        self.quantity = quantity
        self.price = price

    def fill(self, quantity: float, price: float) -> float:
        """Apply a fill; return the realised profit of the part that closes."""
        realised = 0.0
        if self.quantity and (self.quantity > 0) != (quantity > 0):
            closing = min(abs(quantity), abs(self.quantity))
            sign = 1.0 if self.quantity > 0 else -1.0
            realised = closing * (price - self.price) * sign
        new_quantity = self.quantity + quantity
        if new_quantity and (self.quantity == 0 or (self.quantity > 0) == (quantity > 0)):
            self.price = (self.quantity * self.price + quantity * price) / new_quantity
        self.quantity = new_quantity
        return realised
'''

TEST = '''"""Tests of {package}.mod_{n}."""

from __future__ import annotations

import pytest

from {package}.mod_{n} import (
    Position{n},
    Quote{n},
    best_quotes_{n},
    marks_{n},
    moving_average_{n},
    zscore_{n},
)


def test_moving_average_{n}() -> None:
    assert moving_average_{n}([1.0, 2.0, 3.0, 4.0], 2) == [1.0, 1.5, 2.5, 3.5]
    with pytest.raises(ValueError, match="positive"):
        moving_average_{n}([1.0], 0)


def test_zscore_{n}() -> None:
    assert zscore_{n}([]) == []
    assert zscore_{n}([2.0, 2.0]) == [0.0, 0.0]
    assert zscore_{n}([1.0, 3.0]) == pytest.approx([-1.0, 1.0])


class _Prices:
    def price(self, instrument: str) -> float | None:
        return {{"a": 1.0}}.get(instrument)


def test_quotes_and_positions_{n}() -> None:
    quotes = [Quote{n}("a", 1.0, 1.2), Quote{n}("a", 1.05, 1.1), Quote{n}("b", 2.0, 2.5)]
    best = best_quotes_{n}(quotes)
    assert best["a"].mid == pytest.approx(1.075)
    assert set(best) == {{"a", "b"}}
    assert marks_{n}(_Prices(), ["a", "b"]) == {{"a": 1.0}}
    position = Position{n}()
    assert position.fill(10, 100.0) == 0.0
    assert position.fill(5, 110.0) == 0.0
    assert position.fill(-15, 120.0) == pytest.approx(15 * (120.0 - 310.0 / 3 * 1.0))
    assert position.quantity == 0
'''

PRE_COMMIT = """repos:
  - repo: local
    hooks:
      - {{id: ruff-format, name: ruff format, entry: {bin}/ruff format --check,
          language: system, types: [python]}}
      - {{id: ruff-check, name: ruff check, entry: {bin}/ruff check,
          language: system, types: [python]}}
      - {{id: mypy, name: mypy, entry: {bin}/mypy, language: system, pass_filenames: false}}
      - {{id: pytest, name: pytest, entry: {bin}/pytest -q --cov --cov-fail-under=80,
          language: system, pass_filenames: false}}
"""

NOXFILE = """import nox

BIN = "{bin}"
REPO = "{repo}"


@nox.session(venv_backend="none")
def tools(session: nox.Session) -> None:
    session.chdir(REPO)
    session.run(f"{{BIN}}/ruff", "format", "--check", ".", external=True)
    session.run(f"{{BIN}}/ruff", "check", ".", external=True)
    session.run(f"{{BIN}}/mypy", external=True)
    session.run(f"{{BIN}}/pytest", "-q", "--cov", "--cov-fail-under=80", external=True)
"""


TARGETS = {"cold": 0.55, "warm_ratio": 0.01, "warm": 0.1}


@dataclass
class Timing:
    """One measured run: wall seconds, CPU seconds of the whole process tree."""

    wall: float
    cpu: float
    steps: dict[str, float] = field(default_factory=dict)
    """CPU seconds per tool or step inside the run."""


def run(argv: Sequence[str], cwd: Path) -> process.ProcessResult:
    result = process.run(argv, cwd=cwd, timeout=1800)
    if not result.ok:
        raise SystemExit(f"benchmark command failed: {' '.join(argv)}\n{result.output[-3000:]}")
    return result


def timed(argv: Sequence[str], cwd: Path) -> Timing:
    result = run(argv, cwd)
    return Timing(result.seconds, result.cpu_seconds or 0.0)


def clear_caches(repo: Path, folders: Sequence[str] = TOOL_CACHES) -> None:
    for name in folders:
        path = repo / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def make_repo(parent: Path, modules: int, xdist: bool) -> Path:
    repo = parent / PACKAGE
    run(
        [sys.executable, "-m", "qdev", "init", str(repo), "--kind", "library", "--yes", "--commit"],
        parent,
    )
    for n in range(modules):
        (repo / "src" / PACKAGE / f"mod_{n:03d}.py").write_text(MODULE.format(n=f"{n:03d}"))
        (repo / "tests" / f"test_mod_{n:03d}.py").write_text(
            TEST.format(n=f"{n:03d}", package=PACKAGE)
        )
    if xdist:
        run([process.find_uv(), "add", "--dev", "--quiet", "pytest-xdist"], repo)
        run([sys.executable, "-m", "qdev", "env"], repo)
    run(["git", "add", "--all"], repo)
    run(["git", "commit", "-q", "--no-verify", "-m", "synthetic modules and tests"], repo)
    bin_dir = repo / ".venv" / "bin"
    (parent / "pre-commit.yaml").write_text(PRE_COMMIT.format(bin=bin_dir))
    (parent / "noxfile.py").write_text(NOXFILE.format(bin=bin_dir, repo=repo))
    return repo


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def interleaved(rounds: int, variants: dict[str, Callable[[], Timing]]) -> dict[str, list[Timing]]:
    """Each round runs every variant once, in turn, so that load from other processes on a
    shared machine falls on all of them alike rather than on whichever ran during a burst."""
    times: dict[str, list[Timing]] = {label: [] for label in variants}
    for number in range(rounds):
        print(f"  round {number + 1}: {load()}", flush=True)
        for label, once in variants.items():
            times[label].append(once())
    return times


def median_run(times: list[Timing]) -> Timing:
    """The run with the median wall time (its CPU figures belong to the same run)."""
    return sorted(times, key=lambda t: t.wall)[len(times) // 2]


def show(label: str, times: list[Timing]) -> Timing:
    middle = median_run(times)
    runs = ", ".join(f"{t.wall:.2f}" for t in times)
    print(f"  {label:<46} {middle.wall:7.2f} s  cpu {middle.cpu:6.2f} s   (runs: {runs})")
    return middle


def per_tool(label: str, cpu: dict[str, float]) -> None:
    print(f"  {label}: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in cpu.items()))


class Bench:
    def __init__(self, repo: Path, cores: int, xdist: bool) -> None:
        self.repo = repo
        self.cores = cores
        bin_dir = repo / ".venv" / "bin"
        self.qdev = [*qdev_command(), "check", *STEPS]
        self.tools = {
            "ruff format": [f"{bin_dir}/ruff", "format", "--check", "."],
            "ruff check": [f"{bin_dir}/ruff", "check", "."],
            "mypy": [f"{bin_dir}/mypy"],
            "pytest + coverage": [f"{bin_dir}/pytest", "-q", "--cov", "--cov-fail-under=80"],
        }
        self.xdist = [*self.tools["pytest + coverage"], "-n", str(cores)] if xdist else None
        self.parent = repo.parent

    def by_hand(self) -> Timing:
        clear_caches(self.repo)
        total = Timing(0.0, 0.0)
        for name, argv in self.tools.items():
            one = timed(argv, self.repo)
            total.wall += one.wall
            total.cpu += one.cpu
            total.steps[name] = one.cpu
        return total

    def qdev_json(self) -> Timing:
        result = run([*self.qdev, "--format", "json"], self.repo)
        report = json.loads(result.stdout)
        steps = {step["id"]: step["cpu_seconds"] or 0.0 for step in report["steps"]}
        return Timing(result.seconds, result.cpu_seconds or 0.0, steps)

    def cold(self) -> Timing:
        clear_caches(self.repo)
        return self.qdev_json()

    def first_run(self) -> Timing:
        clear_caches(self.repo, (*TOOL_CACHES, TIMINGS))
        return self.qdev_json()

    def tools_cached(self) -> Timing:
        clear_caches(self.repo, RESULT_CACHES)
        return self.qdev_json()

    def pre_commit(self) -> Timing:
        clear_caches(self.repo)
        config = str(self.parent / "pre-commit.yaml")
        bin_dir = self.repo / ".venv" / "bin"
        return timed([f"{bin_dir}/pre-commit", "run", "--all-files", "-c", config], self.repo)

    def nox(self) -> Timing:
        clear_caches(self.repo)
        noxfile = str(self.parent / "noxfile.py")
        return timed([sys.executable, "-m", "nox", "-f", noxfile, "--no-install"], self.repo)

    def pytest_xdist(self) -> Timing:
        assert self.xdist is not None
        clear_caches(self.repo)
        return timed(self.xdist, self.repo)

    def warm(self) -> Timing:
        return timed(self.qdev, self.repo)


def report(bench: Bench, times: dict[str, list[Timing]], warm: Timing) -> bool:
    sequential, cold, kept = (median_run(times[label]) for label in (HAND, COLD, KEPT))
    cores = bench.cores
    floor = sequential.cpu / cores / sequential.wall
    print("cpu time of each tool:")
    per_tool("by hand, one after another", sequential.steps)
    per_tool("inside the cold qdev check", cold.steps)
    qdev_own = cold.cpu - sum(cold.steps.values())
    print(f"  qdev's own work in the cold run (start-up, hashing, scheduling): {qdev_own:.2f} s")
    print(f"cores ({cores}) kept busy:")
    print(f"  cold qdev check     {cold.cpu / (cores * cold.wall):6.1%} of {cores} cores")
    print(f"  by hand             {sequential.cpu / (cores * sequential.wall):6.1%}")
    print("ratios:")
    cold_ratio = cold.wall / sequential.wall
    goal = TARGETS["cold"]
    print(f"  qdev cold / by hand             {cold_ratio:6.3f}   (target <= {goal}; ", end="")
    print(f"floor {floor:.3f}: by hand's cpu {sequential.cpu:.2f} s / {cores} cores / its wall)")
    first = median_run(times[FIRST])
    print(f"  qdev cold, first run ever       {first.wall / sequential.wall:6.3f}")
    print(f"  qdev cold, tool caches kept     {kept.wall / sequential.wall:6.3f}")
    print(f"  qdev warm / qdev cold           {warm.wall / cold.wall:6.3f}   (target <= 0.01)")
    print(f"  qdev warm                       {warm.wall:6.3f} s (target < 0.1 s, idle machine)")
    for label in (HOOKS, SESSION, XDIST):
        if label in times:
            print(f"  {label.split(',')[0]:<31} {median_run(times[label]).wall / cold.wall:6.3f}")
    ok = (
        cold_ratio <= TARGETS["cold"]
        and warm.wall / cold.wall <= TARGETS["warm_ratio"]
        and warm.wall < TARGETS["warm"]
    )
    print("targets met" if ok else "targets NOT met")
    return ok


HAND = "four tools by hand, one after another"
COLD = "qdev check, cold"
FIRST = "qdev check, cold, first run (no timings)"
KEPT = "qdev check, tool caches kept"
HOOKS = "pre-commit run --all-files / qdev cold"
SESSION = "nox, one session, same tools / qdev cold"
XDIST = "pytest -n CORES (xdist) by hand / qdev cold"
RESULT_CACHES = (".qdev/cache/check",)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--modules", type=int, default=200, help="modules and test files to generate"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic repo")
    parser.add_argument("--xdist", action="store_true", help="also time pytest-xdist by hand")
    args = parser.parse_args()
    parent = Path(tempfile.mkdtemp(prefix="qdev-check-bench-"))
    try:
        cores = available()
        repo = make_repo(parent, args.modules, args.xdist)
        bench = Bench(repo, cores, args.xdist)
        print(f"synthetic repo: {repo} ({args.modules} modules and test files, {cores} cores)")
        print(f"  before: {load()}")
        run([*bench.qdev, "--no-cache"], repo)  # warm the OS file cache and bytecode, untimed
        variants = {
            HAND: bench.by_hand,
            COLD: bench.cold,
            FIRST: bench.first_run,
            KEPT: bench.tools_cached,
            HOOKS: bench.pre_commit,
            SESSION: bench.nox,
        }
        if args.xdist:
            variants[XDIST] = bench.pytest_xdist
        times = interleaved(args.repeat, variants)
        for label, measured in times.items():
            show(label.split(" / ")[0], measured)
        run(bench.qdev, repo)  # the cache now holds this exact state
        warm = show("qdev check, warm (nothing changed)", [bench.warm() for _ in range(5)])
        print(f"  after: {load()}")
        return 0 if report(bench, times, warm) else 1
    finally:
        if args.keep:
            print(f"kept {parent}")
        else:
            shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
