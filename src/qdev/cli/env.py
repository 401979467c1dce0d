"""`qdev env`: the repo's environment from its lock, its git hook, its interpreter checked."""

from __future__ import annotations

from typing import Annotated

import typer

HELP = "\n\n".join(
    [
        "Create or update the repo's .venv from uv.lock with uv, install the pre-commit hook, "
        "and check the interpreter against project.python.",
        "--frozen (for CI) uses uv.lock as it is and exits 2 when it does not match "
        "pyproject.toml. A missing uv or requested Python exits 3 with the command that fixes it.",
        "In a research repo it also registers .venv as a Jupyter kernel named after the repo "
        "(research.kernel = false turns that off); --remove-kernel removes it and does nothing "
        "else.",
    ]
)


def register(app: typer.Typer) -> None:
    @app.command("env", help=HELP)
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
        remove_kernel: Annotated[
            bool,
            typer.Option("--remove-kernel", help="Remove the repo's Jupyter kernel, and exit."),
        ] = False,
    ) -> None:
        import json

        from qdev.environment import ensure_env
        from qdev.output import console, info

        if remove_kernel:
            from qdev.research.kernel import remove_repo_kernel

            done = remove_repo_kernel()
            typer.echo(json.dumps({"kernel": done}) if as_json else done)
            return

        info("syncing the environment from uv.lock ...")
        report = ensure_env(frozen=frozen, python=python)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "root": str(report.root),
                        "python": report.python,
                        "hook": report.hook,
                        "seconds": round(report.seconds, 3),
                        "kernel": report.kernel,
                    }
                )
            )
            return
        console().print(
            f"environment ready: Python {report.python} in {report.root / '.venv'}; "
            f"git hook {report.hook}"
            + (f"; Jupyter kernel {report.kernel}" if report.kernel else "")
            + f" ({report.seconds:.1f} s)",
            highlight=False,
        )
