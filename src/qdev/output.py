"""Terminal output settings shared by every command: verbosity and colour.

Colour, highest precedence first: --no-color, NO_COLOR, FORCE_COLOR, `color` in the user's
file, and finally whether the stream is a terminal. Results go to stdout; status lines (`info`)
go to stderr and -q hides them; `detail` lines appear only with -v (or `verbose = true` in the
user's file). rich is imported only when a console is asked for.
"""

from __future__ import annotations

import os
import sys

# Not `typing.TYPE_CHECKING`: `qdev --help` reads this module and typing costs milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from rich.console import Console


USER_FILE_LIMIT = 1_000_000  # the config loader refuses bigger files, and says so


class OutputSettings:
    """What the global options and the user's file ask for; None means: decide per stream."""

    __slots__ = ("color", "quiet", "user_color", "verbose")
    verbose: int
    quiet: bool
    color: bool | None
    user_color: bool | None

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.verbose = 0
        self.quiet = False
        self.color = None
        self.user_color = None


SETTINGS = OutputSettings()


def color_enabled(stream_isatty: bool | None = None) -> bool:
    """Whether to colour a stream: `stream_isatty` defaults to whether stdout is a terminal."""
    if SETTINGS.color is not None:
        return SETTINGS.color
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if SETTINGS.user_color is not None:
        return SETTINGS.user_color
    return _isatty(sys.stdout) if stream_isatty is None else stream_isatty


def user_file() -> str:
    """The user's own qdev file, where the config loader reads it."""
    if os.name == "posix" and sys.platform != "darwin":  # as platformdirs, minus its import time
        base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        return os.path.join(base, "qdev", "config.toml")
    from platformdirs import user_config_path

    return str(user_config_path("qdev") / "config.toml")


def read_user_preferences() -> None:
    """Take `color` and `verbose` from the user's file, if it has them.

    Validating the file is the config loader's job (a bad file is an error there); here a file
    that cannot be read or parsed simply has no preferences.
    """
    path = user_file()
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > USER_FILE_LIMIT:
            return
        import tomllib

        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        return
    if isinstance(data.get("color"), bool):
        SETTINGS.user_color = data["color"]
    if data.get("verbose") is True:
        SETTINGS.verbose = max(SETTINGS.verbose, 1)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def console(*, stderr: bool = False) -> Console:
    """A rich console on stdout (results) or stderr (status), coloured as the settings say."""
    stream = sys.stderr if stderr else sys.stdout
    tty = _isatty(stream)
    use_color = color_enabled(tty)
    return _console_class()(
        file=stream,
        force_terminal=use_color,
        no_color=not use_color,
        highlight=False,
        soft_wrap=not tty,
    )


def print_diff(out: Console, diff: str) -> None:
    """A unified diff, highlighted when colours are on; rich.syntax (with pygments) loads only
    when there is a diff to show."""
    if not diff:
        return
    from rich.syntax import Syntax

    out.print(Syntax(diff.rstrip("\n"), "diff", theme="ansi_dark", background_color="default"))


_CONSOLE_CLASS: list[type[Console]] = []  # made once, on first use: rich loads only then


def _console_class() -> type[Console]:
    if _CONSOLE_CLASS:
        return _CONSOLE_CLASS[0]
    from rich.console import Console

    class QdevConsole(Console):
        def on_broken_pipe(self) -> None:
            # rich would exit 1, which means "checks failed" here: let the error boundary
            # give the documented 141 instead.
            self.quiet = True
            raise BrokenPipeError

    _CONSOLE_CLASS.append(QdevConsole)
    return QdevConsole


def _masked(message: str) -> str:
    from qdev.redact import mask_credentials  # imported here: `re` costs the cached help path

    return mask_credentials(message)


def info(message: str) -> None:
    """A progress or status line on stderr, hidden by --quiet."""
    if not SETTINGS.quiet:
        console(stderr=True).print(_masked(message))


def detail(message: str, *, level: int = 1) -> None:
    """A line of extra detail on stderr, shown from `level` times -v on (and never with -q)."""
    if SETTINGS.verbose >= level and not SETTINGS.quiet:
        console(stderr=True).print(_masked(message))


def warn(message: str) -> None:
    """A warning on stderr, shown even with --quiet; URLs in it have their credentials masked."""
    console(stderr=True).print(f"[yellow]warning:[/yellow] {_masked(message)}")
