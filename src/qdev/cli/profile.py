"""`qdev profile new|check`: team profiles are code, started and tested like code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

NEW_HELP = (
    "Start a team profile repository in DIR from qdev's built-in profile: profile.toml "
    "(name, semver version, variables, file policies, migration notes), qdev.toml (the team's "
    "policy) and templates/, committed to a new git repository. Tag it (v0.1.0) and point "
    'repos at it with extends = {git = "URL", ref = "v0.1.0"}.'
)
CHECK_HELP = (
    "Test a profile before tagging it: validate profile.toml and its qdev.toml, render every "
    "kind with every CI provider (TOML and YAML must parse), then make a repo of each kind with "
    "qdev init and run qdev check in it. Exit 0 all good, 1 a kind's checks failed, 2 the "
    "profile is invalid."
)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="profile",
        help="Start and test team profiles (the standard every repo gets).",
        no_args_is_help=True,
    )
    app.add_typer(group)

    @group.command("new", help=NEW_HELP)
    def new(
        folder: Annotated[Path, typer.Argument(help="A new or empty folder.")],
        name: Annotated[
            str | None, typer.Option("--name", help="The profile's name; default the folder's.")
        ] = None,
        no_git: Annotated[bool, typer.Option("--no-git", help="Don't make a git repo.")] = False,
    ) -> None:
        from rich.markup import escape

        from qdev.output import console
        from qdev.profile.authoring import new_profile

        made = new_profile(folder, name, git=not no_git)
        out = console()
        out.print(f"profile {escape(made.name)} 0.1.0 in {escape(str(made.folder))}")
        if made.commit:
            out.print(
                f"committed {made.commit[:12]}; next: qdev profile check, then git tag v0.1.0"
            )

    @group.command("check", help=CHECK_HELP)
    def check(
        folder: Annotated[Path, typer.Argument(help="The profile's folder.")] = Path(),
        kind: Annotated[
            list[str] | None,
            typer.Option("--kind", "-k", help="Only this kind (repeat); default every kind."),
        ] = None,
        step: Annotated[
            list[str] | None,
            typer.Option("--step", help="Only this qdev check step (repeat); default all."),
        ] = None,
        no_repos: Annotated[
            bool,
            typer.Option(
                "--no-repos", help="Validate and render only; make no repos, run no checks."
            ),
        ] = False,
    ) -> None:
        from rich.markup import escape

        from qdev.output import console, info
        from qdev.profile.authoring import check_profile

        report = check_profile(
            folder, kinds=kind, steps=step or (), run_checks=not no_repos, progress=info
        )
        out = console()
        out.print(f"profile {escape(report.profile.name)} {escape(report.profile.version)}")
        for problem in report.problems:
            out.print(f"  [red]invalid[/red]  {escape(problem)}")
        for warning in report.warnings:
            out.print(f"  [yellow]warning[/yellow]  {escape(warning)}")
        for result in report.kinds:
            mark = "[green]ok[/green]" if result.ok else "[red]failed[/red]"
            out.print(f"  {mark}  {result.kind}: qdev check")
            if not result.ok:
                out.print(escape(result.output.strip()))
        raise typer.Exit(report.exit_code)
