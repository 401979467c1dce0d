"""The typer application: global options, and the command modules that register on it.

Each module in COMMANDS defines `register(app)`; heavy imports happen inside commands, so
`qdev --help` imports typer and nothing of pydantic or GitPython.
"""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from qdev import __version__
from qdev.output import SETTINGS

# One entry per command module under qdev/cli/; only commands that work are listed.
COMMANDS: list[str] = ["config"]


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"qdev {__version__}")
        raise typer.Exit()


def _global_options(
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More detail; repeat for more.")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors and results.")] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colour (also: NO_COLOR=1; FORCE_COLOR=1 forces it).")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version_callback, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """qdev: one standard for the team's Python repos, verified the same way everywhere."""
    SETTINGS.verbose = verbose
    SETTINGS.quiet = quiet
    if no_color:
        SETTINGS.color = False


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="qdev",
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
    app.callback()(_global_options)
    for name in COMMANDS:
        importlib.import_module(f"qdev.cli.{name}").register(app)
    return app


def _click_exception_types() -> tuple[type[Exception], ...]:
    """typer >= 0.23 vendors click as typer._click; older versions use click itself."""
    try:
        from typer._click.exceptions import ClickException
    except ImportError:  # pragma: no cover - depends on the installed typer
        from click.exceptions import ClickException
    return (ClickException,)


def run(argv: list[str]) -> int:
    from qdev.error_handler import error_boundary

    app = build_app()
    with error_boundary(lambda: SETTINGS.verbose > 0) as code:
        try:
            app(args=argv, prog_name="qdev", standalone_mode=False)
        except typer.Exit as done:
            return done.exit_code
        except typer.Abort:
            from qdev.errors import Interrupted

            raise Interrupted("interrupted") from None
        except Exception as exc:
            if isinstance(exc, _click_exception_types()):
                exc.show()  # type: ignore[attr-defined]
                return 2
            raise
    return code[0]
