"""`qdev check [STEP...]`: run the repo's checks in parallel, cached, and report them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    GITHUB = "github"


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check(
        targets: Annotated[
            list[str] | None,
            typer.Argument(
                metavar="STEP|FILE",
                help="Steps to run (default: check.steps from the config), and files or "
                "folders to check: given files, format, lint and secrets look at those only "
                "(the git hook passes the files being committed).",
            ),
        ] = None,
        step: Annotated[
            list[str] | None,
            typer.Option(
                "--step",
                "-s",
                help="Run this step (repeatable); every other word is then a file, even one "
                "named like a step (the git hook's form).",
            ),
        ] = None,
        list_steps: Annotated[
            bool, typer.Option("--list", help="List the steps and exit.")
        ] = False,
        jobs: Annotated[
            int | None,
            typer.Option("--jobs", "-j", min=1, help="Steps run at once (default: CPU count)."),
        ] = None,
        fail_fast: Annotated[
            bool, typer.Option("--fail-fast", help="Stop at the first failed step.")
        ] = False,
        fix: Annotated[
            bool, typer.Option("--fix", help="Let format and lint rewrite files.")
        ] = False,
        no_cache: Annotated[
            bool, typer.Option("--no-cache", help="Run every step; ignore cached results.")
        ] = False,
        changed: Annotated[
            bool,
            typer.Option(
                "--changed", help="Format, lint and secrets only on files changed against the base."
            ),
        ] = False,
        staged: Annotated[
            bool,
            typer.Option(
                "--staged", help="Format, lint and secrets only on the files staged for commit."
            ),
        ] = False,
        no_baseline: Annotated[
            bool,
            typer.Option(
                "--no-baseline",
                help="Fail on every finding, also those known in .qdev/baseline.json.",
            ),
        ] = False,
        update_baseline: Annotated[
            bool,
            typer.Option(
                "--update-baseline",
                help="Record the findings of format, lint, typecheck and secrets as known in "
                ".qdev/baseline.json: later runs fail on new ones only.",
            ),
        ] = False,
        base: Annotated[
            str | None,
            typer.Option("--base", help="Base ref for --changed (default: merge-base with main)."),
        ] = None,
        fmt: Annotated[Format, typer.Option("--format", "-f", help="Report format.")] = Format.TEXT,
        output: Annotated[
            Path | None,
            typer.Option(
                "--output", "-o", help="Write the report here; a text summary goes to stdout."
            ),
        ] = None,
        matrix: Annotated[
            bool,
            typer.Option(
                "--matrix", help="Run the steps under every project.python version, through nox."
            ),
        ] = False,
    ) -> None:
        """Format, lint, typecheck, test + coverage, audit, secrets, lock, custom steps.

        Steps run in parallel with tools from the repo's locked .venv; unchanged steps are
        answered from the cache. Findings recorded in .qdev/baseline.json (--update-baseline)
        are counted, not failed: only new ones fail. Exit 0 when no step failed (a step that
        could not run, such as an offline audit, is shown as NOT RUN), 1 when a step failed, 2
        for a bad step or file name, 3 when the environment is missing or stale (run
        `qdev env`), 130 on Ctrl-C.
        """
        from qdev.check import cli_support

        if list_steps:
            cli_support.print_list()
            return
        if matrix:
            clashing = [
                flag
                for flag, given in (
                    ("--fix", fix), ("--changed", changed), ("--base", base is not None),
                    ("--format", fmt is not Format.TEXT), ("--output", output is not None),
                    ("--staged", staged), ("--no-baseline", no_baseline),
                    ("--update-baseline", update_baseline),
                )
                if given
            ]  # fmt: skip
            raise typer.Exit(cli_support.run_matrix(targets or [], clashing))
        code = cli_support.run(
            targets or [],
            named_steps=step or [],
            jobs=jobs,
            fail_fast=fail_fast,
            fix=fix,
            use_cache=not no_cache,
            changed=changed,
            base=base,
            fmt=fmt.value,
            output=output,
            staged=staged,
            use_baseline=not no_baseline,
            update_baseline=update_baseline,
        )
        raise typer.Exit(code)
