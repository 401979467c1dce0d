"""`qdev release [BUMP|VERSION]`: a guarded, transactional release."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from qdev.release.plan import PlanRefused, ReleasePlan
    from qdev.release.transaction import Outcome

HELP = "\n\n".join(
    [
        "Release the repo: bump the version, write the changelog, commit, tag, build, verify, "
        "push and publish, as one transaction.",
        "BUMP is major, minor, patch, auto (the default: from the conventional commits since the "
        "last release), post or dev (pep440 scheme), or an explicit version such as 1.4.0.",
        "Guards refuse (exit 4, nothing changed) when the tree is dirty, the branch is not the "
        "release branch, the branch is behind its remote, the tag exists, nothing was committed "
        "since the last release, the version does not go up, or `qdev check` fails.",
        "--dry-run shows the plan and every guard that would refuse (exit 4 if one would).",
        "A failure before the push rolls everything back. Once the push or the publish started "
        "nothing public is undone: a first Ctrl-C waits for the push, and --continue finishes "
        "the rest. A release killed midway is finished with --continue or undone with --abort; "
        "both refuse while your edits are in its files (--abort keeps them, with a copy).",
    ]
)


def register(app: typer.Typer) -> None:
    app.command("release", help=HELP)(release)


def release(
    bump: Annotated[
        str,
        typer.Argument(
            help="major, minor, patch, auto, post, dev, or a version (X.Y.Z).",
            metavar="[BUMP|VERSION]",
        ),
    ] = "auto",
    pre: Annotated[
        str | None, typer.Option("--pre", help="Make a pre-release: a, b or rc.", metavar="LABEL")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the version, changelog, tag and steps; write nothing."
        ),
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    push: Annotated[
        bool | None,
        typer.Option("--push/--no-push", help="Push the commit and tag (default: release.push)."),
    ] = None,
    publish: Annotated[
        bool | None,
        typer.Option(
            "--publish/--no-publish", help="Publish to the index (default: release.publish)."
        ),
    ] = None,
    skip_checks: Annotated[
        bool,
        typer.Option(
            "--skip-checks", help="Do not require `qdev check` to pass (said in the tag)."
        ),
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--continue", help="Finish a release that was interrupted or failed after its push."
        ),
    ] = False,
    abort: Annotated[
        bool,
        typer.Option("--abort", help="Undo a stopped release; once it is public, only forget it."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    path: Annotated[Path, typer.Option("--path", help="The repository (default: here).")] = Path(
        "."
    ),
) -> None:
    with _reported(json_output=json_output):
        from qdev.errors import UsageError

        if resume and abort:
            raise UsageError("--continue and --abort do not go together", fix="choose one")
        if resume or abort:
            _resume_or_abort(path, abort=abort, json_output=json_output)
            return

        from qdev.config.loader import load_config
        from qdev.release.plan import ReleaseRequest, make_plan

        loaded = load_config(path.resolve())
        request = ReleaseRequest(
            bump=bump, pre=pre, push=push, publish=publish, skip_checks=skip_checks, dry_run=dry_run
        )
        plan = make_plan(loaded.root, loaded.config, request, loaded.source_of)
        if dry_run:
            _show_plan(plan, json_output=json_output)
            if plan.refusals:
                raise _refused(plan)
            return
        if not yes and not json_output and _interactive():
            _show_plan(plan, json_output=False)
            typer.confirm(f"Release {plan.tag}?", abort=True)
        from qdev.release.transaction import execute

        outcome = execute(plan, progress=None if json_output else _progress)
        _show_outcome(outcome, plan.to_dict(), json_output=json_output)


def _refused(plan: ReleasePlan) -> PlanRefused:
    """One refusal for every guard a dry run found, each with its fix."""
    from qdev.release.plan import PlanRefused

    if len(plan.refusals) == 1:
        return PlanRefused(plan.refusals[0].message, fix=plan.refusals[0].fix)
    lines = [f"this release would be refused, for {len(plan.refusals)} reasons:"]
    for number, refusal in enumerate(plan.refusals, 1):
        reason = refusal.message.replace("\n", "\n     ")
        lines.append(f"  {number}. {reason}")
        if refusal.fix:
            lines.append(f"     fix: {refusal.fix}")
    return PlanRefused("\n".join(lines))


@contextmanager
def _reported(*, json_output: bool) -> Iterator[None]:
    """Every error leaves with its credentials masked; with --json it is also printed as JSON
    on stdout, so a script reads one document whatever happened."""
    from qdev.errors import GuardRefused, QdevError
    from qdev.redact import mask_credentials
    from qdev.release.plan import PlanRefused

    try:
        yield
    except QdevError as exc:
        exc.message = mask_credentials(exc.message)
        exc.fix = mask_credentials(exc.fix) if exc.fix else exc.fix
        if json_output and not isinstance(exc, PlanRefused):  # the plan was printed with them
            import json

            refusals = [{"reason": exc.message, "fix": exc.fix}]
            document = {
                "ok": False,
                "exit_code": int(exc.exit_code),
                "error": exc.message,
                "fix": exc.fix,
                "refusals": refusals if isinstance(exc, GuardRefused) else [],
            }
            typer.echo(json.dumps(document, indent=2))
        raise


def _interactive() -> bool:
    import sys

    return sys.stdin.isatty() and sys.stdout.isatty()


def _progress(step: str, description: str) -> None:
    from qdev.output import info

    info(f"  done  {step:<10} {description}")


def _resume_or_abort(path: Path, *, abort: bool, json_output: bool) -> None:
    from qdev.release import transaction

    root = path.resolve()
    if abort:
        outcome = transaction.abort(root)
    else:
        outcome = transaction.resume(root, _progress, publish_auth=_publish_auth(root))
    _show_outcome(outcome, {}, json_output=json_output)


def _publish_auth(root: Path) -> Callable[[str], tuple[str, str] | None]:
    """Credentials for the journal's upload URL, when the environment sets that URL with them
    (they are never written to the journal); asked only if a publish is left to do."""

    def lookup(url: str) -> tuple[str, str] | None:
        from qdev.config.loader import load_config
        from qdev.errors import QdevError
        from qdev.release.plan import resolve_publish

        try:
            loaded = load_config(root)
            target = resolve_publish(loaded.config, loaded.source_of)
        except QdevError:
            return None
        return target.auth if target.url == url else None

    return lookup


def _show_plan(plan: ReleasePlan, *, json_output: bool) -> None:
    from qdev.redact import mask_credentials
    from qdev.release.transaction import DESCRIPTIONS

    if json_output:
        import json

        document = {"dry_run": True, **plan.to_dict()}
        typer.echo(mask_credentials(json.dumps(document, indent=2)))
        return
    since = f"since {plan.previous_tag}" if plan.previous_tag else "in the history"
    lines = [
        f"{plan.package} {plan.current} -> {plan.version}  "
        f"({plan.bump}, {len(plan.commits)} commit{'' if len(plan.commits) == 1 else 's'} "
        f"{since})",
        f"tag: {plan.tag}   branch: {plan.branch}   remote: {plan.remote or 'none'}",
        _version_line(plan),
        f"checks: {plan.checks}",
        *([f"publish to: {plan.publish_url}"] if plan.publish else []),
        *(f"note: {note}" for note in plan.notes),
        "",
        plan.changelog_section.rstrip(),
        "",
        "steps:",
        *(f"  {i}. {step:<10} {DESCRIPTIONS[step]}" for i, step in enumerate(plan.steps, 1)),
    ]
    if plan.refusals:
        lines += ["", f"would refuse ({len(plan.refusals)}): see below"]
    typer.echo(mask_credentials("\n".join(lines)))


def _version_line(plan: ReleasePlan) -> str:
    if not plan.version_files:
        return f"version: from git tags ({plan.version_source}): no file is written, only the tag"
    return f"version: in {', '.join(plan.version_files)} ({plan.version_source})"


def _show_outcome(outcome: Outcome, planned: dict[str, Any], *, json_output: bool) -> None:
    from qdev.redact import mask_credentials

    if json_output:
        import json

        document = {
            **planned,
            "dry_run": False,
            "version": outcome.version,
            "tag": outcome.tag,
            "done": outcome.done,
            "artifacts": outcome.artifacts,
            "message": outcome.message,
        }
        typer.echo(mask_credentials(json.dumps(document, indent=2)))
        return
    if outcome.message:
        typer.echo(mask_credentials(outcome.message))
    else:
        typer.echo(f"released {outcome.tag} ({', '.join(outcome.done)})")
        for artifact in outcome.artifacts:
            typer.echo(f"  {artifact}")
