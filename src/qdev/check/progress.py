"""Progress while steps run: a live table on a terminal, plain lines elsewhere (CI, pipes)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qdev.check.model import StepResult
from qdev.check.reporters.text import status_label

if TYPE_CHECKING:
    from rich.live import Live


MACHINE_FORMATS = ("json", "junit")


def plain_progress_wanted(fmt: str, output: Path | None = None) -> bool:
    """Outside a terminal: whether plain progress lines belong on stderr. Only when stdout
    holds a report for machines; a text or GitHub report (or the text summary printed beside
    --output) already names every step, and printing both showed each step twice."""
    return fmt in MACHINE_FORMATS and output is None


class PlainProgress:
    """One line per event on stderr: readable in CI logs, never interleaved."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr

    def started(self, step: str) -> None:
        self.stream.write(f"qdev check: {step} started\n")
        self.stream.flush()

    def finished(self, result: StepResult) -> None:
        self.stream.write(
            f"qdev check: {result.id} {status_label(result)} in {result.seconds:.2f}s\n"
        )
        self.stream.flush()


class LiveProgress:
    """A rich live table, redrawn in place, removed when the run ends (the report follows)."""

    def __init__(self, steps: list[str]) -> None:
        self.steps = steps
        self.started_at: dict[str, float] = {}
        self.done: dict[str, StepResult] = {}
        self.live: Live | None = None

    def __enter__(self) -> LiveProgress:
        from rich.live import Live

        from qdev.output import console

        self.live = Live(self, console=console(stderr=True), transient=True, refresh_per_second=8)
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def started(self, step: str) -> None:
        self.started_at[step] = time.monotonic()
        self._update()

    def finished(self, result: StepResult) -> None:
        self.done[result.id] = result
        self._update()

    def _update(self) -> None:
        if self.live is not None:
            self.live.refresh()

    def __rich__(self) -> Any:
        return self._render()

    def _render(self) -> Any:
        from rich.spinner import Spinner
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        for step in self.steps:
            if step in self.done:
                result = self.done[step]
                colour = {"passed": "green", "failed": "red"}.get(result.status.value, "yellow")
                grid.add_row(
                    f"[{colour}]●[/]",
                    step,
                    f"[{colour}]{status_label(result)}[/]",
                    f"{result.seconds:.1f}s",
                )
            elif step in self.started_at:
                grid.add_row(
                    Spinner("dots"),
                    step,
                    "running",
                    f"{time.monotonic() - self.started_at[step]:.1f}s",
                )
            else:
                grid.add_row("[dim]○[/]", step, "[dim]waiting[/]", "")
        return grid
