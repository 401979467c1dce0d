"""`qdev sync`: the team profile's files merged into the repo; `--check` reports drift."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from qdev.profile.sync import SyncPlan

HELP = "\n\n".join(
    [
        "Re-render the repo's files from its team profile (at the pinned ref, or a new one with "
        "--ref) and merge them three ways with what the repo has: TOML and YAML key by key, "
        "other text with diff3 markers. Local edits are never lost.",
        "A conflict is left as git leaves one: markers in the file and the index in conflict, "
        "so `git status` and `git mergetool` see it; resolve, `git add`, commit. Files the repo "
        "deleted stay deleted; untracked and ignored files are never touched. Every write is "
        "atomic and all or nothing, even if qdev is killed.",
        "--check writes nothing and exits 1 listing each drifted path and why (profile newer, "
        "config changed, file edited, file deleted, unresolved conflict), 0 when up to date: "
        "the CI gate. Exit codes: 0 done, 1 conflicts left (or drift with --check), 2 bad "
        "input, 3 profile repository unreachable, 4 uncommitted changes in managed files.",
    ]
)

ACTION_STYLE = {
    "create": "green",
    "update": "cyan",
    "merge": "cyan",
    "conflict": "bold red",
    "keep": "yellow",
    "deleted": "yellow",
    "remove": "magenta",
    "skip": "dim",
    "unchanged": "dim",
}


def register(app: typer.Typer) -> None:
    @app.command("sync", help=HELP)
    def sync(
        path: Annotated[Path, typer.Argument(help="A folder of the repo.")] = Path(),
        check: Annotated[
            bool, typer.Option("--check", help="Report drift, write nothing (exit 1 on drift).")
        ] = False,
        conflicts_only: Annotated[
            bool,
            typer.Option(
                "--conflicts-only",
                help="With --check: only unresolved sync conflicts (what the git hook asks).",
            ),
        ] = False,
        ref: Annotated[
            str | None,
            typer.Option("--ref", help="Move the git profile's pin to this tag or commit."),
        ] = None,
        set_values: Annotated[
            list[str] | None,
            typer.Option("--set", help="Set a profile variable, NAME=VALUE (repeatable)."),
        ] = None,
        restore: Annotated[
            list[str] | None,
            typer.Option("--restore", help="Bring back a managed file the repo deleted (repeat)."),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Print the unified diff of every change only.")
        ] = False,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="Never prompt: new variables get defaults.")
        ] = False,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the plan (or drift report) as JSON.")
        ] = False,
    ) -> None:
        import sys

        from qdev.errors import UsageError

        if check:
            if ref or set_values or dry_run or restore:
                raise UsageError(
                    "--check only reports: it takes no --ref, --set, --restore or --dry-run",
                    fix="run `qdev sync --check` alone, or `qdev sync --dry-run` to see changes",
                )
            raise typer.Exit(_check(path, conflicts_only=conflicts_only, as_json=as_json))
        if conflicts_only:
            raise UsageError("--conflicts-only goes with --check", fix="add --check")
        from qdev.profile.sync import SyncOptions, apply_sync, plan_sync

        options = SyncOptions(ref, _parse_sets(set_values or []), tuple(restore or ()))
        interactive = not (yes or as_json) and sys.stdin.isatty() and sys.stdout.isatty()
        plan = plan_sync(path, options, _ask if interactive else None)
        if not dry_run:
            apply_sync(plan)
        if as_json:
            typer.echo(_as_json(plan, dry_run=dry_run))
        else:
            _render(plan, dry_run=dry_run)
        raise typer.Exit(plan.exit_code)


def _parse_sets(items: Sequence[str]) -> dict[str, str]:
    from qdev.errors import UsageError

    values = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise UsageError(f"--set {item}: expected NAME=VALUE", fix="e.g. --set uv_image=...")
        values[name.strip()] = value
    return values


def _ask(question: str, default: str, choices: Sequence[str] | None) -> str:
    return str(typer.prompt(question, default=default))


def _check(path: Path, *, conflicts_only: bool, as_json: bool) -> int:
    import sys

    from qdev.profile.drift import check_drift

    report = check_drift(path, conflicts_only=conflicts_only)
    sys.stdout.write(report.text(conflicts_only=conflicts_only, as_json=as_json))
    return report.exit_code


def _render(plan: SyncPlan, *, dry_run: bool) -> None:
    from rich.markup import escape

    from qdev.output import SETTINGS, console, print_diff

    out = console()
    previous = plan.previous
    before = f"{previous.version}" + (f" ({previous.ref})" if previous.ref else "")
    out.print(
        f"{escape(plan.root.name)}: profile {escape(plan.profile.label)}, from {escape(before)}"
    )
    for warning in plan.warnings:
        out.print(f"[yellow]note:[/yellow] {escape(warning)}")
    shown = [f for f in plan.files if f.action.value not in ("unchanged", "skip")]
    if SETTINGS.verbose:
        shown = list(plan.files)
    for item in shown:
        style = ACTION_STYLE[item.action.value]
        detail = item.detail + (f": {', '.join(item.conflicts)}" if item.conflicts else "")
        extra = f"  [dim]{escape(detail)}[/dim]" if detail else ""
        out.print(f"  [{style}]{item.action.value:>9}[/{style}]  {escape(item.path)}{extra}")
        if dry_run and item.writes:
            print_diff(out, item.diff())
    for note in plan.notes:
        out.print(f"[bold]profile {escape(note.version)}:[/bold] {escape(note.note)}")
    for choice in plan.variables:
        how = "answered" if choice.asked else "its default; `qdev sync --set NAME=VALUE` changes it"
        out.print(
            f"new profile variable {escape(choice.name)} = {escape(repr(choice.value))} ({how})"
        )
    _summary(plan, dry_run=dry_run)


def _summary(plan: SyncPlan, *, dry_run: bool) -> None:
    from qdev.output import console

    out = console()
    changed = [f for f in plan.writes if f.path != ".qdev/state.toml"]
    verb = "would change" if dry_run else "changed"
    summary = f"{verb} {len(changed)} file{'s' * (len(changed) != 1)}"
    if not plan.writes:
        summary = "nothing to do: the repo is up to date with its profile"
    if plan.conflicts:
        count = sum(len(f.conflicts) for f in plan.conflicts)
        summary += (
            f"; {count} conflict{'s' * (count != 1)} in {len(plan.conflicts)} "
            f"file{'s' * (len(plan.conflicts) != 1)}"
        )
        if not dry_run:
            summary += ": edit them (git status lists them), `git add` each, then commit"
    out.print(summary + ("; nothing written (--dry-run)" if dry_run and plan.writes else ""))


def _as_json(plan: SyncPlan, *, dry_run: bool) -> str:
    import json

    origin = plan.profile.origin
    previous = plan.previous
    return json.dumps(
        {
            "root": str(plan.root),
            "dry_run": dry_run,
            "profile": {
                "name": plan.profile.name,
                "version": plan.profile.version,
                "ref": origin.ref if origin else None,
                "commit": origin.commit if origin else None,
            },
            "from": {"version": previous.version, "ref": previous.ref, "commit": previous.commit},
            "files": [
                {
                    "path": f.path,
                    "policy": f.policy.value,
                    "action": f.action.value,
                    "detail": f.detail,
                    "conflicts": list(f.conflicts),
                    "diff": f.diff(),
                }
                for f in plan.files
            ],
            "conflicts": sum(len(f.conflicts) for f in plan.files),
            "notes": [{"version": n.version, "note": n.note} for n in plan.notes],
            "variables": [
                {"name": c.name, "value": c.value, "default": c.default, "asked": c.asked}
                for c in plan.variables
            ],
            "warnings": list(plan.warnings),
            "exit_code": plan.exit_code,
        },
        indent=2,
    )
