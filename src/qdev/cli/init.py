"""`qdev init`: a new repo from the team profile, or an existing one adopted."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from qdev.project.init import InitResult

HELP = "\n\n".join(
    [
        "Create a repo of a kind (library, research, service) from the team profile, or adopt "
        "an existing one; then make its environment and git hook.",
        "Nothing of yours is lost: pyproject.toml and qdev.toml are merged (comments and values "
        "kept), other files that differ are reported with a diff and left alone unless --force, "
        "which keeps a backup. Running it twice changes nothing.",
        "In a folder that already holds a project, init adopts it: it reads the repo first "
        "(--dry-run prints what it read), writes no demo code, never changes [build-system], "
        "[project] or [tool.poetry], and builds the wheel before and after to prove nothing "
        "the project ships changed (exit 4 and nothing written when it would). A Poetry or "
        "Pipenv project that uv cannot run as it stands is refused (exit 2) unless --migrate.",
        "Missing values are asked for on a terminal; never with --yes or without a terminal. "
        "Bad input, a failure or Ctrl-C leaves the folder as it was (exit 2, or 130); a missing "
        "uv or Python exits 3. Only when the environment cannot be made are the written files "
        "kept, so that `qdev env` can finish the job once the cause is fixed.",
    ]
)

ACTION_STYLE = {
    "create": "green",
    "merge": "cyan",
    "replace": "yellow",
    "update": "cyan",
    "keep": "yellow",
    "unchanged": "dim",
}


def register(app: typer.Typer) -> None:
    @app.command("init", help=HELP)
    def init(
        path: Annotated[
            Path, typer.Argument(help="Folder of the repo: new, empty or existing.")
        ] = Path(),
        kind: Annotated[
            str | None, typer.Option("--kind", "-k", help="library, research or service.")
        ] = None,
        name: Annotated[
            str | None, typer.Option("--name", help="Distribution name; default the folder's name.")
        ] = None,
        python: Annotated[
            list[str] | None,
            typer.Option(
                "--python",
                help="Supported Python version (repeat, or 3.11,3.12); oldest is the default.",
            ),
        ] = None,
        ci: Annotated[
            str | None, typer.Option("--ci", help="CI provider: github or gitlab.")
        ] = None,
        profile: Annotated[
            Path | None,
            typer.Option("--profile", help="A team profile folder instead of the built-in one."),
        ] = None,
        no_env: Annotated[
            bool, typer.Option("--no-env", help="Don't create the environment.")
        ] = False,
        no_git: Annotated[bool, typer.Option("--no-git", help="Don't touch git.")] = False,
        commit: Annotated[bool, typer.Option("--commit", help="Make an initial commit.")] = False,
        dry_run: Annotated[
            bool,
            typer.Option(
                "--dry-run", help="List every file it would write, with diffs; write nothing."
            ),
        ] = False,
        force: Annotated[
            bool,
            typer.Option(
                "--force", help="Replace files that differ from the profile (keeps backups)."
            ),
        ] = False,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="Never prompt; use defaults.")
        ] = False,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the result as JSON (implies --yes).")
        ] = False,
        migrate: Annotated[
            bool,
            typer.Option(
                "--migrate",
                help="Convert a Poetry or Pipenv project to [project] with migrate-to-uv first.",
            ),
        ] = False,
    ) -> None:
        import sys

        from qdev.errors import UsageError
        from qdev.project.init import InitOptions, init_project

        if commit and no_git:
            raise UsageError("--commit needs git", fix="drop --no-git or --commit")
        versions = [v.strip() for item in python or [] for v in item.split(",") if v.strip()]
        options = InitOptions(
            path,
            kind,
            name,
            versions or None,
            ci,
            profile,
            env=not no_env,
            git=not no_git,
            commit=commit,
            dry_run=dry_run,
            force=force,
            migrate=migrate,
        )
        interactive = not (yes or as_json) and sys.stdin.isatty() and sys.stdout.isatty()
        result = init_project(options, _ask if interactive else None, meanwhile=_load_output)
        if as_json:
            typer.echo(_as_json(result, dry_run=dry_run))
        else:
            _render(result, dry_run=dry_run)


def _ask(question: str, default: str, choices: Sequence[str] | None) -> str:
    while True:
        answer = str(
            typer.prompt(question + (f" ({'/'.join(choices)})" if choices else ""), default=default)
        )
        if choices is None or answer in choices:
            return answer
        typer.echo(f"choose one of: {', '.join(choices)}")


def _load_output() -> None:
    """rich, loaded and run once into nothing while uv sync makes the environment, so that
    printing the result after it costs no imports (tens of milliseconds)."""
    import io

    from rich.console import Console

    Console(file=io.StringIO(), width=80).print("[green]create[/green]  [dim]pyproject.toml[/dim]")


def _render(result: InitResult, *, dry_run: bool) -> None:
    from rich.markup import escape

    from qdev.output import console, print_diff

    out = console()
    settings = result.settings
    verb = "would write" if dry_run else "wrote"
    out.print(
        f"{escape(settings.name)}: {settings.kind} repo in {escape(str(settings.root))}, "
        f"profile {escape(settings.profile.label)}"
    )
    if result.facts is not None:
        from qdev.project.facts import describe

        out.print("adopting an existing repo; what qdev read from it:")
        for label, value in describe(result.facts):
            out.print(f"  {label:>20}  {escape(value)}", highlight=False)
    for item in result.plan.files:
        style = ACTION_STYLE[item.action.value]
        detail = f"  [dim]{escape(item.detail)}[/dim]" if item.detail else ""
        out.print(f"  [{style}]{item.action.value:>9}[/{style}]  {escape(item.path)}{detail}")
        if (dry_run and item.action.value != "unchanged") or item.action.value == "keep":
            print_diff(out, item.diff())
    for note in result.notes:
        out.print(escape(note))
    if result.proof:
        out.print(escape(result.proof))
    written = len(result.plan.writes)
    kept = len(result.plan.kept)
    summary = f"{verb} {written} file{'s' * (written != 1)}"
    if kept:
        differ = "differs" if kept == 1 else "differ"
        summary += f"; kept {kept} of yours that {differ} from the profile (--force replaces)"
    if result.commit:
        summary += f"; committed {result.commit[:12]}"
    out.print(summary + ("; nothing written (--dry-run)" if dry_run else ""))


def _as_json(result: InitResult, *, dry_run: bool) -> str:
    import json

    from qdev.project.facts import describe

    settings = result.settings
    files = [
        {"path": f.path, "action": f.action.value, "detail": f.detail}
        | ({"diff": f.diff()} if dry_run else {})
        for f in result.plan.files
    ]
    return json.dumps(
        {
            "root": str(settings.root),
            "name": settings.name,
            "package": settings.package,
            "kind": settings.kind,
            "python": list(settings.python),
            "profile": {"name": settings.profile.name, "version": settings.profile.version},
            "dry_run": dry_run,
            "files": files,
            "notes": result.notes,
            "commit": result.commit,
            "adopted": result.facts is not None,
            "facts": dict(describe(result.facts)) if result.facts else None,
            "proof": result.proof,
        },
        indent=2,
    )
