"""Time `qdev check` against running its tools by hand, pre-commit and nox, in one run.

    uv run python benchmarks/check_bench.py [--modules 200] [--repeat 3] [--keep]

Builds a synthetic library repo with `qdev init --kind library`, adds N modules and N test
files, and times, each from cold tool caches (median of --repeat runs):

- `qdev check format lint typecheck test` (parallel steps, empty result cache);
- the same four tools run one after another by hand from the repo's .venv;
- a second `qdev check` with nothing changed (answered from the cache);
- `pre-commit run --all-files` with local hooks for the same four tools;
- `nox` with one session running the same four tools.

Prints the seconds and the ratios the issue sets targets for.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from qdev.tools import process

PACKAGE = "benchlib"
STEPS = ("format", "lint", "typecheck", "test")
TOOL_CACHES = (".mypy_cache", ".ruff_cache", ".pytest_cache", ".qdev/cache", ".coverage", ".nox")

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


def run(argv: Sequence[str], cwd: Path) -> float:
    result = process.run(argv, cwd=cwd, timeout=900)
    if not result.ok:
        raise SystemExit(f"benchmark command failed: {' '.join(argv)}\n{result.output[-3000:]}")
    return result.seconds


def clear_caches(repo: Path) -> None:
    for name in TOOL_CACHES:
        path = repo / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def make_repo(parent: Path, modules: int) -> Path:
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
    run(["git", "add", "--all"], repo)
    run(["git", "commit", "-q", "--no-verify", "-m", "synthetic modules and tests"], repo)
    bin_dir = repo / ".venv" / "bin"
    (parent / "pre-commit.yaml").write_text(PRE_COMMIT.format(bin=bin_dir))
    (parent / "noxfile.py").write_text(NOXFILE.format(bin=bin_dir, repo=repo))
    return repo


def interleaved(rounds: int, variants: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Each round runs every variant once, in turn, so that load from other processes on a
    shared machine falls on all of them alike rather than on whichever ran during a burst."""
    times: dict[str, list[float]] = {label: [] for label in variants}
    for _ in range(rounds):
        for label, once in variants.items():
            times[label].append(once())
    return times


def show(label: str, times: list[float]) -> float:
    median = statistics.median(times)
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(f"  {label:<44} {median:7.2f} s   (runs: {runs})", flush=True)
    return median


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--modules", type=int, default=200, help="modules and test files to generate"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic repo")
    args = parser.parse_args()
    parent = Path(tempfile.mkdtemp(prefix="qdev-check-bench-"))
    try:
        repo = make_repo(parent, args.modules)
        bin_dir = repo / ".venv" / "bin"
        qdev = [sys.executable, "-m", "qdev", "check", *STEPS]
        print(
            f"synthetic repo: {repo} ({args.modules} modules, {args.modules} test files, 2 cores)"
        )

        tools = {
            "ruff format": [f"{bin_dir}/ruff", "format", "--check", "."],
            "ruff check": [f"{bin_dir}/ruff", "check", "."],
            "mypy": [f"{bin_dir}/mypy"],
            "pytest + coverage": [f"{bin_dir}/pytest", "-q", "--cov", "--cov-fail-under=80"],
        }
        per_tool: dict[str, list[float]] = {name: [] for name in tools}

        def by_hand() -> float:
            clear_caches(repo)
            for name, argv in tools.items():
                per_tool[name].append(run(argv, repo))
            return sum(times[-1] for times in per_tool.values())

        def cold() -> float:
            clear_caches(repo)
            return run(qdev, repo)

        def warm() -> float:
            return run(qdev, repo)

        def pre_commit() -> float:
            clear_caches(repo)
            return run(
                [
                    f"{bin_dir}/pre-commit",
                    "run",
                    "--all-files",
                    "-c",
                    str(parent / "pre-commit.yaml"),
                ],
                repo,
            )

        def nox() -> float:
            clear_caches(repo)
            return run(
                [sys.executable, "-m", "nox", "-f", str(parent / "noxfile.py"), "--no-install"],
                repo,
            )

        run([*qdev, "--no-cache"], repo)  # warm the OS file cache and bytecode, untimed
        cold_times = interleaved(
            args.repeat,
            {
                "four tools by hand, one after another": by_hand,
                "qdev check, cold": cold,
                "pre-commit run --all-files": pre_commit,
                "nox, one session, same tools": nox,
            },
        )
        sequential, qdev_cold, commit_hooks, nox_time = (
            show(label, times) for label, times in cold_times.items()
        )
        print(
            "  by hand, per tool (medians): "
            + ", ".join(
                f"{name} {statistics.median(times):.2f} s" for name, times in per_tool.items()
            )
        )
        print("  (parallel steps cannot beat the longest one: that bounds the first ratio)")
        run(qdev, repo)  # the cache now holds this exact state
        qdev_warm = show("qdev check, warm (nothing changed)", [warm() for _ in range(args.repeat)])

        print("ratios:")
        print(f"  qdev cold / by hand        {qdev_cold / sequential:6.3f}   (target <= 0.8)")
        print(f"  qdev warm / qdev cold      {qdev_warm / qdev_cold:6.3f}   (target <= 0.05)")
        print(f"  qdev warm                  {qdev_warm:6.3f} s (target < 0.5 s)")
        print(f"  pre-commit / qdev cold     {commit_hooks / qdev_cold:6.3f}")
        print(f"  nox / qdev cold            {nox_time / qdev_cold:6.3f}")
        ok = qdev_cold / sequential <= 0.8 and qdev_warm / qdev_cold <= 0.05 and qdev_warm < 0.5
        print("targets met" if ok else "targets NOT met")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {parent}")
        else:
            shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
