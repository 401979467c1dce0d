"""Terminal output settings shared by every command: verbosity and colour.

Colour follows, highest first: --no-color, NO_COLOR, FORCE_COLOR, the user's config, and
finally whether stdout is a terminal. rich is imported only when a console is asked for.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


@dataclass
class OutputSettings:
    verbose: int = 0
    quiet: bool = False
    color: bool | None = None  # None: decide from the environment and the terminal


SETTINGS = OutputSettings()


def color_enabled(stream_isatty: bool | None = None) -> bool:
    if SETTINGS.color is not None:
        return SETTINGS.color
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty() if stream_isatty is None else stream_isatty


def console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    use_color = color_enabled(stream.isatty())
    return Console(
        file=stream,
        no_color=not use_color,
        force_terminal=use_color if use_color else None,
        highlight=False,
        soft_wrap=not stream.isatty(),
        quiet=SETTINGS.quiet and not stderr,
    )


def info(message: str) -> None:
    """A progress or status line on stderr, hidden by --quiet."""
    if not SETTINGS.quiet:
        console(stderr=True).print(message)
