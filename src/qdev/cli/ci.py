"""`qdev ci [github|gitlab] [--check]`: write or verify the repo's CI pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from qdev.ci.pipeline import Pipeline, PlannedFile

HELP = "\n\n".join(
    [
        "Write the repo's CI pipeline from qdev.toml and the team profile: on the default "
        "branch and pull/merge requests, for each Python of the matrix, qdev from the team's "
        "index, qdev env --frozen, qdev sync --check and qdev check, with uv's and the check "
        "cache kept between runs; and a manual release job.",
        "--check verifies the pipeline on disk instead (exit 1 with a diff when it differs). "
        "A pipeline file with edits qdev did not make is left alone (exit 4) unless --force, "
        "which keeps a backup. Exit 2 when the team profile does not say where CI installs qdev "
        "from (qdev_requirement and qdev_index).",
    ]
)

STYLE = {"create": "green", "update": "cyan", "replace": "yellow", "unchanged": "dim"}


def register(app: typer.Typer) -> None:
    @app.command("ci", help=HELP)
    def ci(
        provider: Annotated[
            str | None,
            typer.Argument(help="github or gitlab (default: ci.provider in qdev.toml)."),
        ] = None,
        check: Annotated[
            bool, typer.Option("--check", help="Verify the pipeline on disk; write nothing.")
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Show what would be written, with diffs.")
        ] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Replace edited pipeline files (keeps backups).")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        from qdev.ci.pipeline import plan_pipeline, render_pipeline, write_pipeline
        from qdev.config.loader import load_config
        from qdev.errors import ChecksFailed

        root = load_config().root
        pipeline = render_pipeline(root, provider)
        # --check and --dry-run show an edited file's diff; only writing it needs --force.
        planned = plan_pipeline(pipeline, force=force or check or dry_run)
        stale = [item for item in planned if item.change.value != "unchanged"]
        if not (check or dry_run):
            write_pipeline(pipeline, planned)
        if as_json:
            typer.echo(_as_json(pipeline, planned, check=check, dry_run=dry_run))
        else:
            _render(pipeline, planned, check=check, dry_run=dry_run)
        if check and stale:
            raise ChecksFailed(
                f"the {pipeline.provider} pipeline differs from what qdev ci writes: "
                + ", ".join(item.path for item in stale),
                fix="run `qdev ci` and commit the result",
            )


def _render(
    pipeline: Pipeline, planned: tuple[PlannedFile, ...], *, check: bool, dry_run: bool
) -> None:
    from rich.markup import escape

    from qdev.output import console, print_diff

    out = console()
    python = ", ".join(pipeline.python)
    out.print(
        f"{pipeline.provider} pipeline: branch {escape(pipeline.default_branch)} and "
        f"{'merge' if pipeline.provider == 'gitlab' else 'pull'} requests, Python {python}, "
        f"{escape(pipeline.source.requirement)} from the team's index"
    )
    for note in pipeline.notes:
        out.print(escape(note))
    for item in planned:
        verb = item.change.value
        if check and verb != "unchanged":
            verb = "differs"
        style = STYLE.get(item.change.value, "yellow")
        edited = dry_run and not check and item.change.value == "replace"
        hint = "  [dim](edited: `qdev ci` needs --force, which keeps a backup)[/dim]" * edited
        out.print(f"  [{style}]{verb:>9}[/{style}]  {escape(item.path)}{hint}")
        if check or dry_run:
            print_diff(out, item.diff())
    if check:
        return
    written = sum(item.change.value != "unchanged" for item in planned)
    done = "would write" if dry_run else "wrote"
    out.print(f"{done} {written} file{'s' * (written != 1)}" + (" (--dry-run)" if dry_run else ""))


def _as_json(
    pipeline: Pipeline, planned: tuple[PlannedFile, ...], *, check: bool, dry_run: bool
) -> str:
    import json

    from qdev.redact import mask_credentials

    return json.dumps(
        {
            "root": str(pipeline.root),
            "provider": pipeline.provider,
            "default_branch": pipeline.default_branch,
            "python": list(pipeline.python),
            "qdev": {
                "requirement": pipeline.source.requirement,
                "index": mask_credentials(pipeline.source.index),
            },
            "check": check,
            "dry_run": dry_run,
            "notes": list(pipeline.notes),
            "files": [
                {"path": item.path, "change": item.change.value}
                | ({"diff": item.diff()} if check or dry_run else {})
                for item in planned
            ],
        },
        indent=2,
    )
