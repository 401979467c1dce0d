"""The typer application: global options, and the command modules that register on it.

Each module in COMMANDS defines `register(app)`; heavy imports happen inside commands, so
`qdev --help` imports typer and nothing of pydantic or GitPython. Adding a command is adding its
module's name to COMMANDS: the global options, plain help types and plain choice errors reach
it through `cli_command` (_click_tree.py). `run` is the one way in: it turns every outcome into
an exit code through error_handler, and renders help texts once for the help cache
(helpcache.py).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from qdev import __version__, helpcache
from qdev.cli import _click_tree
from qdev.output import SETTINGS, read_user_preferences

# One entry per command module under qdev/cli/; only commands that work are listed.
COMMANDS: list[str] = [
    "config",
    "release",
    "init",
    "env",
    "check",
    "sync",
    "profile",
    "doctor",
    "ci",
    "data",
    "fleet",
]

COMPLETE_VAR = "_QDEV_COMPLETE"
# Fault injection for tests of the "this is a bug" path through the real CLI.
CRASH_VAR = "_QDEV_INJECT_CRASH"


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"qdev {__version__}")
        raise typer.Exit()


# Only bool options here: typer coerces any other value through pydantic, which would make every
# `qdev CMD --help` import it. Each works before the command and after it (`qdev check -v`).
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="More detail, and the traceback of a bug in qdev.")
]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="Only errors and results, no status lines.")
]
NoColor = Annotated[
    bool, typer.Option("--no-color", help="No colour (also NO_COLOR=1; FORCE_COLOR=1 forces it).")
]


def _apply_global_flag(name: str, value: bool) -> None:
    if not value:
        return
    if name == "verbose":
        SETTINGS.verbose = max(SETTINGS.verbose, 1)
    elif name == "quiet":
        SETTINGS.quiet = True
    elif name == "no_color":
        SETTINGS.color = False


def _global_flags(
    verbose: Verbose = False, quiet: Quiet = False, no_color: NoColor = False
) -> None:
    """The global flags as every command takes them (cli_command adds them to each)."""


def _global_options(
    ctx: typer.Context,
    verbose: Verbose = False,
    quiet: Quiet = False,
    no_color: NoColor = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """qdev: one standard for the team's Python repos, verified the same way everywhere."""
    for name, value in (("verbose", verbose), ("quiet", quiet), ("no_color", no_color)):
        _apply_global_flag(name, value)
    if os.environ.get(CRASH_VAR):
        raise RuntimeError(f"crash injected by {CRASH_VAR}")
    if ctx.invoked_subcommand != "release":
        from qdev.release.journal import pending_warning  # cheap: json and pathlib only

        with contextlib.suppress(FileNotFoundError):  # a deleted folder: the command says so
            warning = pending_warning(Path.cwd())
            if warning:
                sys.stderr.write(f"qdev: {warning}\n")


def build_app(only: str | None = None) -> typer.Typer:
    """The application with every command, or with the command `only` (all a run of it needs:
    typer makes a click command of each one registered, about 25 ms for all of them)."""
    app = typer.Typer(
        name="qdev",
        no_args_is_help=True,
        context_settings={"help_option_names": list(helpcache.HELP_FLAGS)},
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
    app.callback()(_global_options)
    for name in [only] if only else COMMANDS:
        importlib.import_module(f"qdev.cli.{name}").register(app)
    return app


def _command_named(args: Sequence[str]) -> str | None:
    """The command `args` run, when it is one of COMMANDS (the global options before it are
    all flags); None for anything else, which gets the whole app (a typo's suggestion, shell
    completion)."""
    if os.environ.get(COMPLETE_VAR):
        return None
    word = next((arg for arg in args if not arg.startswith("-")), None)
    return word if word in COMMANDS else None


def cli_command(app: typer.Typer) -> Any:
    """The click command typer makes of `app`, with what every command gets (_click_tree.py)."""
    command = typer.main.get_command(app)
    flags = _click_tree.global_flags(_global_flags, _apply_global_flag)
    _click_tree.add_global_flags(command, flags)
    _click_tree.plain_help_types(command)
    return command


def _click_exception_types() -> tuple[type[Exception], ...]:
    """typer >= 0.23 vendors click as typer._click; older versions use click itself."""
    try:
        from typer._click.exceptions import ClickException
    except ImportError:  # pragma: no cover - depends on the installed typer
        from click.exceptions import ClickException  # type: ignore[assignment]
    return (ClickException,)


def _asks_verbose(argv: Sequence[str]) -> bool:
    # Before the options are parsed (a command module failing to import), read argv itself.
    return SETTINGS.verbose > 0 or any(re.fullmatch(r"-v+|--verbose", arg) for arg in argv)


def run(argv: Sequence[str]) -> int:
    """Run qdev with `argv` (no program name) and return its exit code; never raises."""
    from qdev.error_handler import error_boundary

    args = list(argv)
    SETTINGS.reset()
    read_user_preferences()
    with _sigterm_interrupts(), error_boundary(lambda: _asks_verbose(args)) as code:
        if helpcache.is_help_request(args):
            code[0] = _render_help(args)
        else:
            if not _asks_for_version_or_help(args):
                require_working_folder()
            named = _command_named(args)
            code[0] = _invoke(build_app(named) if named else build_app(), args)
    return code[0]


def _asks_for_version_or_help(args: Sequence[str]) -> bool:
    return any(arg in ("--version", "-V", *helpcache.HELP_FLAGS) for arg in args)


def require_working_folder() -> None:
    """Every command works from the current folder: one that was deleted is a clear exit 2."""
    from qdev.errors import UsageError

    try:
        os.getcwd()
    except FileNotFoundError:
        raise UsageError(
            "the current folder no longer exists (it was deleted or moved while this shell "
            "was in it)",
            fix='cd into an existing folder, e.g. `cd "$PWD"` if it was made again, or `cd ~`',
        ) from None
    except OSError as exc:
        raise UsageError(
            f"the current folder cannot be used: {exc.strerror}",
            fix="cd into a folder you can read, then run the command again",
        ) from None


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a CI runner cancelling, `kill`) unwinds like Ctrl-C, so children get ended too."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _invoke(app: typer.Typer, args: list[str]) -> int:
    command = cli_command(app)
    if os.environ.get(COMPLETE_VAR):
        # Shell completion: click prints the candidates and exits.
        try:
            command.main(args=args, prog_name="qdev", complete_var=COMPLETE_VAR)
        except SystemExit as done:
            return done.code if isinstance(done.code, int) else 1
    try:
        with command.make_context("qdev", list(args)) as ctx:
            command.invoke(ctx)
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort as abort:
        _aborted(abort)
    except EOFError:
        from qdev.errors import UsageError

        raise UsageError(
            "input ended while qdev was asking a question",
            fix="answer on a terminal, or pass the command's --yes option",
        ) from None
    except _click_exception_types() as exc:
        _show_click_error(exc)
        return int(exc.exit_code)  # type: ignore[attr-defined]
    finally:
        _flush_stdout()
    return 0


def _show_click_error(exc: Any) -> None:
    """click's usage error, with a bad value in plain words and no credentials in it."""
    from qdev.redact import mask_credentials

    param = getattr(exc, "param", None)
    if param is not None:
        exc.message = _click_tree.plain_bad_value(exc.message, param)
    exc.message = mask_credentials(exc.message)
    exc.show()


def _aborted(abort: BaseException) -> NoReturn:
    from qdev.errors import GuardRefused, Interrupted

    if isinstance(abort.__context__, KeyboardInterrupt):
        raise Interrupted("interrupted") from None
    raise GuardRefused("aborted: the question was answered no") from None


def _flush_stdout() -> None:
    # A closed pipe raises BrokenPipeError, which the error boundary turns into exit 141.
    with contextlib.suppress(ValueError):  # a command closed stdout itself
        sys.stdout.flush()


class _HelpBuffer(io.StringIO):
    """Captures a help text while telling rich the encoding of the stdout it stands for."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


def _render_help(args: list[str]) -> int:
    """Let typer render the help text once, store it for next time, and print it."""
    color, columns = helpcache.wants_color(args), helpcache.width()
    buffer = _HelpBuffer(helpcache.encoding())
    with _help_style(color, columns), redirect_stdout(buffer):
        exit_code = _show_help(build_app(), args)
    text = buffer.getvalue()
    if exit_code == 0 and "Usage:" in text:
        helpcache.store(args, color, columns, text)
    sys.stdout.write(text)
    sys.stdout.flush()
    return exit_code


def _show_help(app: typer.Typer, args: list[str]) -> int:
    """Print the help of the command that `args` names, as its --help option would.

    When every word names a subcommand, the help is drawn straight from the command tree:
    parsing the arguments would make typer coerce option values through pydantic. Otherwise
    (a word is a positional value) the arguments are parsed as usual.
    """
    words = [word for word in args[:-1] if word not in helpcache.GLOBAL_FLAGS]
    command = cli_command(app)
    ctx = command.context_class(command, info_name="qdev", **command.context_settings)
    for word in words:
        get_command = getattr(command, "get_command", None)
        sub = get_command(ctx, word) if get_command is not None else None
        if sub is None:
            return _invoke(app, args)
        ctx = sub.context_class(sub, info_name=word, parent=ctx, **sub.context_settings)
        command = sub
    help_option = command.get_help_option(ctx)
    if help_option is None or help_option.callback is None:  # pragma: no cover - typer adds it
        return _invoke(app, args)
    try:
        help_option.callback(ctx, help_option, True)
    except typer.Exit as done:
        return done.exit_code
    return 0  # pragma: no cover - the help callback always exits


@contextmanager
def _help_style(color: bool, columns: int) -> Iterator[None]:
    """Make typer's rich help renderer draw at `columns`, coloured or plain, as qdev decided."""
    try:
        from typer import rich_utils
    except ImportError:  # pragma: no cover - typer without rich draws plain text anyway
        yield
        return
    wanted = {
        "FORCE_TERMINAL": color,
        "MAX_WIDTH": columns,
        "COLOR_SYSTEM": "auto" if color else None,
    }
    saved = {name: getattr(rich_utils, name) for name in wanted if hasattr(rich_utils, name)}
    for name in saved:
        setattr(rich_utils, name, wanted[name])
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(rich_utils, name, value)
