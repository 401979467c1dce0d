"""`qdev env`: the repo's environment from its lock, its git hook, its interpreter checked."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("env")
    def env(
        frozen: Annotated[
            bool,
            typer.Option("--frozen", help="Use uv.lock as it is; fail when it is stale (for CI)."),
        ] = False,
        python: Annotated[
            str | None,
            typer.Option("--python", help="Interpreter for .venv: a version like 3.12 or a path."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Create or update .venv from uv.lock with uv, install the git hook, verify the Python.

        Exit 3 when uv or the requested Python is missing; with --frozen, exit 2 when uv.lock
        does not match pyproject.toml.
        """
        from qdev.environment import ensure_env
        from qdev.output import console, info

        info("syncing the environment from uv.lock ...")
        report = ensure_env(frozen=frozen, python=python)
        if as_json:
            import json

            typer.echo(
                json.dumps(
                    {
                        "root": str(report.root),
                        "python": report.python,
                        "hook": report.hook,
                        "seconds": round(report.seconds, 3),
                    }
                )
            )
            return
        console().print(
            f"environment ready: Python {report.python} in {report.root / '.venv'}; "
            f"git hook {report.hook} ({report.seconds:.1f} s)",
            highlight=False,
        )
