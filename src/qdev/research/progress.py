"""Progress of `qdev data pull|add`: live bars on a terminal, one line per dataset elsewhere."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

from qdev.research.fetch import Fetched, Outcome

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress


def human(size: int | None) -> str:
    """A size in binary units, e.g. 1.5 MiB ("" when unknown)."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""  # pragma: no cover - the loop returns at GiB


def line(item: Fetched) -> str:
    """One dataset's result, as the report and the plain progress print it."""
    size = f" ({human(item.size)}" + (f" in {item.seconds:.1f} s)" if item.seconds else ")")
    text = f"{item.outcome.value}: {item.name}{size if item.size is not None else ''}"
    return f"{text}: {item.detail}" if item.detail else text


class PlainProgress:
    """A line on stderr as each dataset finishes: readable in CI logs."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.lock = threading.Lock()

    def update(self, name: str, done: int, total: int | None) -> None:
        pass

    def finished(self, item: Fetched) -> None:
        if item.outcome in (Outcome.FETCHED, Outcome.FAILED):
            with self.lock:
                self.stream.write(f"qdev data: {line(item)}\n")
                self.stream.flush()


class LiveProgress:
    """A bar per dataset being fetched and one for all of them, on stderr."""

    def __init__(self) -> None:
        self.bars: RichProgress | None = None
        self.tasks: dict[str, Any] = {}
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.overall: Any = None
        self.lock = threading.Lock()

    def __enter__(self) -> LiveProgress:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        from qdev.output import console

        self.bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console(stderr=True),
            transient=True,
        )
        self.bars.__enter__()
        self.overall = self.bars.add_task("all", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bars is not None:
            self.bars.__exit__(None, None, None)

    def update(self, name: str, done: int, total: int | None) -> None:
        assert self.bars is not None
        with self.lock:
            if name not in self.tasks:
                self.tasks[name] = self.bars.add_task(name, total=total)
            if total is not None and self.totals.get(name) != total:
                self.totals[name] = total
                self.bars.update(self.overall, total=sum(self.totals.values()))
            self.done[name] = done
            self.bars.update(self.tasks[name], completed=done, total=total)
            self.bars.update(self.overall, completed=sum(self.done.values()))

    def finished(self, item: Fetched) -> None:
        assert self.bars is not None
        with self.lock:
            task = self.tasks.get(item.name)
            if task is not None:  # the report lists it when all are done
                self.bars.update(task, visible=False)
