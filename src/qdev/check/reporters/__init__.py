"""Reporters: a CheckRun as text for people, or JSON, JUnit XML and GitHub annotations."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from qdev.check.model import CheckRun

FORMATS = ("text", "json", "junit", "github")


def render(run: CheckRun, fmt: str, *, verbose: bool = False, colour: bool = False) -> str:
    """The report in `fmt` as one string, ready for stdout or a file."""
    renderers: dict[str, Callable[[CheckRun], str]]
    from qdev.check.reporters import github, json_report, junit, text

    renderers = {
        "text": lambda r: text.render(r, verbose=verbose, colour=colour),
        "json": json_report.render,
        "junit": junit.render,
        "github": github.render,
    }
    return renderers[fmt](run)


def emit(run: CheckRun, fmt: str, output: Path | None, *, verbose: bool = False) -> None:
    """Print the report, or write it to `output` and print the text summary; warnings go to
    stderr, each once."""
    for warning in dict.fromkeys(run.warnings):
        sys.stderr.write(f"qdev: warning: {warning}\n")
    if output is not None:
        from qdev.fileio import write_atomic

        write_atomic(output, render(run, fmt, verbose=verbose))
        if fmt != "text":
            sys.stdout.write(render(run, "text", verbose=verbose))
        return
    from qdev.output import color_enabled

    colour = fmt == "text" and color_enabled(sys.stdout.isatty())
    sys.stdout.write(render(run, fmt, verbose=verbose, colour=colour))
    sys.stdout.flush()
