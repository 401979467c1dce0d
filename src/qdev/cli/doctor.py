"""`qdev doctor`: diagnose the machine and the repo, each finding with its fix."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from qdev.doctor import DoctorReport, RepairOutcome

HELP = "\n\n".join(
    [
        "Diagnose this machine and the repo: git and uv against the profile's minimums, the "
        "Pythons of project.python, the qdev first on PATH, the package indexes and their "
        "credentials, the environment against uv.lock, the lock, the git hook, drift from the "
        "team profile, a half-done release, and .gitignore rules hiding managed files.",
        "Each problem says what is wrong, why it matters and the command that fixes it; --fix "
        "runs the fixes that are safe (the environment, the hook). Exit 0 when healthy, 1 when "
        "there is a problem.",
    ]
)

STYLE = {"ok": "green", "problem": "red", "skipped": "dim"}
LABEL = {"ok": "ok", "problem": "PROBLEM", "skipped": "skipped"}


def register(app: typer.Typer) -> None:
    @app.command("doctor", help=HELP)
    def doctor(
        path: Annotated[
            Path, typer.Argument(help="A folder in the repo to diagnose (default: here).")
        ] = Path(),
        fix: Annotated[
            bool, typer.Option("--fix", help="Apply the safe fixes, then diagnose again.")
        ] = False,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the findings as JSON.")
        ] = False,
    ) -> None:
        from qdev.doctor import diagnose, diagnose_and_repair
        from qdev.errors import UsageError

        if not path.is_dir():
            raise UsageError(f"{path} is not a folder", fix="give qdev doctor a folder of the repo")
        outcome = diagnose_and_repair(path) if fix else None
        report = outcome.report if outcome is not None else diagnose(path)
        if as_json:
            _print_json(report, outcome)
        else:
            _render(report, outcome)
        if not report.healthy:
            raise typer.Exit(1)


def _print_json(report: DoctorReport, outcome: RepairOutcome | None) -> None:
    import json

    data = report.to_json()
    if outcome is not None:
        data["repaired"] = list(outcome.repaired)
        data["repair_failed"] = outcome.failed
    typer.echo(json.dumps(data, indent=2))


def _render(report: DoctorReport, outcome: RepairOutcome | None) -> None:
    from rich.markup import escape

    from qdev.output import console

    out = console()
    where = report.root or "no repo here: the machine only"
    out.print(f"qdev doctor: {escape(where)}")
    width = max(len(finding.id) for finding in report.findings)
    for finding in report.findings:
        style = STYLE[finding.status.value]
        label = "fixed" if finding.fixed else LABEL[finding.status.value]
        out.print(f"  [{style}]{label:<7}[/{style}]  {finding.id:<{width}}  {escape(finding.what)}")
        if finding.is_problem:
            out.print(f"  {'':<7}  {'':<{width}}  [dim]why:[/dim] {escape(finding.why)}")
            repair = "   [dim](qdev doctor --fix does it)[/dim]" if finding.repairable else ""
            out.print(f"  {'':<7}  {'':<{width}}  fix: {escape(finding.fix or '')}{repair}")
    for name, why in (outcome.failed if outcome else {}).items():
        out.print(f"[red]--fix could not repair {name}:[/red] {escape(why)}")
    out.print(_summary(report))


def _summary(report: DoctorReport) -> str:
    counts = dict.fromkeys(("ok", "problem", "skipped"), 0)
    for finding in report.findings:
        counts[finding.status.value] += 1
    fixed = sum(finding.fixed for finding in report.findings)
    repairable = sum(finding.repairable for finding in report.findings)
    if report.healthy:
        head = "healthy"
    else:
        problems = counts["problem"]
        head = f"{problems} problem{'s' * (problems != 1)}"
        if repairable:
            head += f" ({repairable} fixed by `qdev doctor --fix`)"
    fixed_part = f", {fixed} fixed" if fixed else ""
    return (
        f"{head}: {counts['ok']} ok{fixed_part}, {counts['skipped']} skipped "
        f"({report.seconds:.2f} s)"
    )
