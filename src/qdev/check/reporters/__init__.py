"""Reporters: a CheckRun as text for people, or JSON, JUnit XML and GitHub annotations."""

from __future__ import annotations

import sys

# Not `typing.TYPE_CHECKING`: the warm check (check/warm.py) reads FORMATS, and typing costs
# milliseconds there.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
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
    sys.stdout.write(render(run, fmt, verbose=verbose, colour=_colour(fmt)))
    sys.stdout.flush()


def replay_streams(run: CheckRun, fmt: str) -> tuple[str, str]:
    """A run answered from the cache as printed: the report for stdout, and for stderr the
    plain progress lines a live run prints outside a terminal (for machine formats), then
    each warning once."""
    import io

    from qdev.check.progress import PlainProgress, plain_progress_wanted

    err = io.StringIO()
    if not sys.stderr.isatty() and plain_progress_wanted(fmt):
        progress = PlainProgress(err)
        for result in run.results:
            progress.finished(result)
    for warning in dict.fromkeys(run.warnings):
        err.write(f"qdev: warning: {warning}\n")
    return render(run, fmt, colour=_colour(fmt)), err.getvalue()


def _colour(fmt: str) -> bool:
    from qdev.output import color_enabled

    return fmt == "text" and color_enabled(sys.stdout.isatty())
