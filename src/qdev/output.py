"""Terminal output settings shared by every command: verbosity and colour.

Colour, highest precedence first: --no-color, NO_COLOR, FORCE_COLOR, and finally whether the
stream is a terminal. Results go to stdout; status lines (`info`) go to stderr and -q hides them;
`detail` lines appear only with -v. rich is imported only when a console is asked for.
"""

from __future__ import annotations

import os
import sys

# Not `typing.TYPE_CHECKING`: `qdev --help` reads this module and typing costs milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from rich.console import Console


class OutputSettings:
    """What the global options asked for; `color` None means: decide per stream."""

    __slots__ = ("color", "quiet", "verbose")
    verbose: int
    quiet: bool
    color: bool | None

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.verbose = 0
        self.quiet = False
        self.color = None


SETTINGS = OutputSettings()


def color_enabled(stream_isatty: bool | None = None) -> bool:
    """Whether to colour a stream: `stream_isatty` defaults to whether stdout is a terminal."""
    if SETTINGS.color is not None:
        return SETTINGS.color
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _isatty(sys.stdout) if stream_isatty is None else stream_isatty


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def console(*, stderr: bool = False) -> Console:
    """A rich console on stdout (results) or stderr (status), coloured as the settings say."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = _isatty(stream)
    use_color = color_enabled(tty)
    return Console(
        file=stream,
        force_terminal=use_color,
        no_color=not use_color,
        highlight=False,
        soft_wrap=not tty,
    )


def info(message: str) -> None:
    """A progress or status line on stderr, hidden by --quiet."""
    if not SETTINGS.quiet:
        console(stderr=True).print(message)


def detail(message: str, *, level: int = 1) -> None:
    """A line of extra detail on stderr, shown from `level` times -v on (and never with -q)."""
    if SETTINGS.verbose >= level and not SETTINGS.quiet:
        console(stderr=True).print(message)


def warn(message: str) -> None:
    """A warning on stderr, shown even with --quiet."""
    console(stderr=True).print(f"[yellow]warning:[/yellow] {message}")
