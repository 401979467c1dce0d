"""`qdev fleet add|remove|list|fetch|status|sync|run`: the same questions asked of every repo of
the team at once, and the fix, as branches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from qdev.fleet.manifest import Fleet, Member
    from qdev.fleet.select import Selection

HELP = (
    "Every repo of the team, one question at a time, in seconds. fleet.toml lists the repos by "
    "local path or git URL (URL repos are cloned into the user cache); every command takes the "
    "same selection: --repo, --group, --tag, --kind, --where EXPR, --shard I/N. See "
    "docs/fleet.md."
)
STATUS_HELP = "\n\n".join(
    [
        "Per repo: kind, profile and pinned ref against the profile's latest release, drift "
        "(as qdev sync --check tells it), config validity, default branch head age, last "
        "release tag and date and the commits since, uv.lock age, and the last qdev check "
        "result (from the repo's check cache; --check runs it afresh).",
        "A table sorted by how far behind each repo is; --json (schema: --schema), --html PATH "
        "(one self-contained page with filters), --ci-matrix github|gitlab (a CI pipeline "
        "that spreads the fleet over shards). Unchanged repos are answered from a memo. Exit 0, "
        "or 1 when some repos could not be read (each is reported).",
    ]
)
SYNC_HELP = "\n\n".join(
    [
        "In each selected repo, qdev sync on branch NAME (in a worktree of its own: the "
        "checkout is never touched), to --ref or the newest release of the repo's profile, "
        "committed with a conventional message; --push pushes the branch to origin.",
        "Running it again updates the same branches (nothing when nothing changed); a run "
        "that was killed resumes where it stopped. Conflicts are reported per repo and never "
        "committed or pushed. Exit 0 when every repo is done, 1 when some had conflicts or "
        "failed.",
    ]
)
RUN_HELP = (
    "Run a command in every selected repo's work tree, several at once, e.g. "
    "`qdev fleet run -g rates -- git log -1 --oneline`. Put the command after `--`; it is run "
    "as an argument list, never through a shell. Output is grouped per repo, then a pass/fail "
    "table. Exit 0 when it passed everywhere, 1 otherwise."
)

FleetFile = Annotated[
    Path | None,
    typer.Option(
        "--fleet", "-F", help="The fleet file (default: $QDEV_FLEET_FILE, or fleet.toml up)."
    ),
]
Repos = Annotated[list[str] | None, typer.Option("--repo", "-r", help="Only this repo (repeat).")]
Groups = Annotated[
    list[str] | None, typer.Option("--group", "-g", help="Only repos of this group (glob, repeat).")
]
Tags = Annotated[
    list[str] | None, typer.Option("--tag", "-t", help="Only repos with this tag (glob, repeat).")
]
Kinds = Annotated[
    list[str] | None,
    typer.Option("--kind", "-k", help="Only repos of this kind: library, research, service."),
]
Wheres = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        "-w",
        help="Only repos where EXPR holds (repeat: all must), e.g. 'version<2.0.0', "
        "'has=noxfile.py', '!has=uv.lock', 'grep=import pandas', 'ref!=v3.0.0'.",
    ),
]
Shard = Annotated[
    str | None, typer.Option("--shard", help="Only the I-th of N even shards, I/N (CI).")
]
Jobs = Annotated[
    int, typer.Option("--jobs", "-j", min=0, help="Repos at once (default: one per CPU).")
]
AsJson = Annotated[bool, typer.Option("--json", help="JSON on stdout, for scripts.")]


def selection_of(
    repos: list[str] | None,
    groups: list[str] | None,
    tags: list[str] | None,
    kinds: list[str] | None,
    wheres: list[str] | None,
    shard: str | None,
) -> Selection:
    from qdev.fleet.select import Selection, parse_shard, parse_where

    return Selection(
        tuple(repos or ()),
        tuple(groups or ()),
        tuple(tags or ()),
        tuple(kinds or ()),
        tuple(parse_where(w) for w in wheres or ()),
        parse_shard(shard) if shard else None,
    )


def selected(fleet_file: Path | None, selection: Selection) -> tuple[Fleet, list[Member]]:
    """The fleet and the members the selection picks; repos unreadable for --where noted."""
    from rich.markup import escape

    from qdev.fleet import manifest
    from qdev.fleet.select import by_content, by_labels
    from qdev.output import warn

    fleet = manifest.load(fleet_file)
    members, unknown = by_content(fleet, by_labels(fleet, selection), selection)
    for member, why in unknown:
        warn(f"{escape(member.name)}: left out, --kind/--where cannot read it: {escape(why)}")
    return fleet, members


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on stderr when it is a terminal (and not --quiet); else silent."""
    from qdev.output import SETTINGS, console

    err = console(stderr=True)
    if SETTINGS.quiet or not err.is_terminal or total == 0:
        yield lambda what, done, count: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err,
        transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(label, total=total)

        def update(what: str, done: int, count: int) -> None:
            bar.update(task, description=f"{label}: {what}", completed=done, total=count)

        yield update


def register(app: typer.Typer) -> None:
    group = typer.Typer(name="fleet", help=HELP, no_args_is_help=True)
    app.add_typer(group)
    _register_edits(group)
    _register_fetch(group)
    _register_status(group)
    _register_sync(group)
    _register_run(group)


# -- add, remove, list -------------------------------------------------------------------------


def _register_edits(group: typer.Typer) -> None:
    @group.command("add")
    def add(
        locations: Annotated[
            list[str], typer.Argument(help="Local work trees or git URLs (several at once).")
        ],
        name: Annotated[
            str | None, typer.Option("--name", help="The repo's name (one location only).")
        ] = None,
        group_name: Annotated[str | None, typer.Option("--group", "-g", help="Its group.")] = None,
        tags: Annotated[
            list[str] | None, typer.Option("--tag", "-t", help="A tag (repeat).")
        ] = None,
        branch: Annotated[
            str | None, typer.Option("--branch", help="Its default branch, if not main/master.")
        ] = None,
        fleet_file: FleetFile = None,
    ) -> None:
        """Add repos to fleet.toml (made here when there is none); re-adding one changes only
        its group, tags or branch. A path is stored relative to the fleet file."""
        from rich.markup import escape

        from qdev.errors import UsageError
        from qdev.fleet import manifest
        from qdev.output import console

        if name and len(locations) > 1:
            raise UsageError("--name names one repo, and several were given", fix="drop --name")
        target = manifest.find_file(fleet_file) or Path.cwd() / manifest.FLEET_FILE
        members = [
            _member_for(loc, target, name, group_name, tuple(tags or ()), branch)
            for loc in locations
        ]
        done = manifest.add(target, members)
        out = console()
        for member, what in done:
            out.print(f"{what:>9}  {escape(member.name)}  {escape(member.location)}")
        out.print(f"fleet file: {escape(str(target))}")

    @group.command("remove")
    def remove(
        names: Annotated[list[str], typer.Argument(help="Names of repos, as fleet list shows.")],
        fleet_file: FleetFile = None,
    ) -> None:
        """Remove repos from fleet.toml (their clones in the cache are left; the cache is
        disposable)."""
        from rich.markup import escape

        from qdev.fleet import manifest
        from qdev.output import console

        fleet = manifest.load(fleet_file)
        for removed in manifest.remove(fleet.file, names):
            console().print(f"  removed  {escape(removed)}")

    @group.command("list")
    def list_(
        fleet_file: FleetFile = None,
        repo: Repos = None,
        group_name: Groups = None,
        tag: Tags = None,
        kind: Kinds = None,
        where: Wheres = None,
        shard: Shard = None,
        as_json: AsJson = False,
    ) -> None:
        """The repos of the fleet (those the selection picks): name, group, tags, location."""
        import json

        from rich.markup import escape
        from rich.table import Table

        from qdev.fleet.clones import workdir
        from qdev.output import console

        fleet, members = selected(
            fleet_file, selection_of(repo, group_name, tag, kind, where, shard)
        )
        rows = [
            {
                "name": m.name,
                "group": m.group,
                "tags": list(m.tags),
                "location": m.location,
                "remote": m.remote,
                "path": str(workdir(fleet, m)),
            }
            for m in members
        ]
        if as_json:
            typer.echo(json.dumps({"fleet": str(fleet.file), "repos": rows}, indent=2))
            return
        table = Table(title=f"{len(rows)} repos in {escape(str(fleet.file))}", title_justify="left")
        for column in ("repo", "group", "tags", "location"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                escape(str(row["name"])),
                escape(str(row["group"] or "")),
                escape(", ".join(row["tags"])),  # type: ignore[arg-type]
                escape(str(row["location"])),
            )
        console().print(table)


def _member_for(
    location: str,
    fleet_file: Path,
    name: str | None,
    group: str | None,
    tags: tuple[str, ...],
    branch: str | None,
) -> Member:
    import os

    from qdev.errors import UsageError
    from qdev.fleet.manifest import NAME, Member, default_name, looks_like_url

    chosen = name or default_name(location)
    if not NAME.match(chosen):
        raise UsageError(f"--name {chosen!r}: use letters, digits, '.', '_' and '-'")
    if looks_like_url(location):
        return Member(chosen, url=location, group=group, tags=tags, branch=branch)
    folder = Path(location).expanduser().absolute()
    if not folder.is_dir():
        raise UsageError(f"{location} is not a folder", fix="give a work tree's path or a git URL")
    if not (folder / ".git").exists():
        raise UsageError(
            f"{location} is not a git work tree", fix="give the repo's top folder (it holds .git)"
        )
    relative = os.path.relpath(folder, fleet_file.parent.absolute())
    return Member(chosen, path=Path(relative).as_posix(), group=group, tags=tags, branch=branch)


# -- fetch -------------------------------------------------------------------------------------


def _register_fetch(group: typer.Typer) -> None:
    @group.command("fetch")
    def fetch(
        fleet_file: FleetFile = None,
        repo: Repos = None,
        group_name: Groups = None,
        tag: Tags = None,
        kind: Kinds = None,
        where: Wheres = None,
        shard: Shard = None,
        jobs: Jobs = 0,
        as_json: AsJson = False,
    ) -> None:
        """Clone or refresh the repos listed by URL (in parallel, into the user cache), then the
        profile repositories they use, so status knows the latest releases. Repos listed by
        path are read as they are. Exit 0, or 1 when some could not be reached (each named)."""
        import json

        from rich.markup import escape

        from qdev.fleet.clones import fetch as fetch_all
        from qdev.fleet.clones import refresh_profiles, workdir
        from qdev.fleet.status import jobs_for
        from qdev.output import console

        fleet, members = selected(
            fleet_file, selection_of(repo, group_name, tag, kind, where, shard)
        )
        remote = [m for m in members if m.remote]
        with progress_bar(len(remote), "fetching") as tick:
            count = [0]

            def done(result: Any) -> None:
                count[0] += 1
                tick(result.name, count[0], len(remote))

            results = fetch_all(fleet, remote, jobs=jobs_for(jobs), done=done)
        roots = [workdir(fleet, m) for m in members]
        profiles = refresh_profiles([r for r in roots if r.is_dir()], jobs=jobs_for(jobs))
        failed = [r for r in results if not r.ok] + [p for p in profiles if p[1]]
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "repos": [r.__dict__ for r in results],
                        "profiles": [{"url": u, "error": e} for u, e in profiles],
                        "local": [m.name for m in members if not m.remote],
                    },
                    indent=2,
                )
            )
        else:
            out = console()
            for result in results:
                style = "red" if not result.ok else "green"
                detail = f"  [dim]{escape(result.detail)}[/dim]" if result.detail else ""
                out.print(
                    f"  [{style}]{result.action:>8}[/{style}]  {escape(result.name)}"
                    f"  {result.seconds:.1f}s{detail}"
                )
            for url, error in profiles:
                what = f"[red]failed[/red] {escape(error)}" if error else "[green]refreshed[/green]"
                out.print(f"  profile {escape(url)}: {what}")
            local = len(members) - len(remote)
            out.print(
                f"{len(results) - len([r for r in results if not r.ok])} of {len(results)} "
                f"remote repos fetched; {local} local work trees read as they are"
            )
        raise typer.Exit(1 if failed else 0)


# -- status ------------------------------------------------------------------------------------


def _register_status(group: typer.Typer) -> None:
    @group.command("status", help=STATUS_HELP)
    def status(
        fleet_file: FleetFile = None,
        repo: Repos = None,
        group_name: Groups = None,
        tag: Tags = None,
        kind: Kinds = None,
        where: Wheres = None,
        shard: Shard = None,
        jobs: Jobs = 0,
        check: Annotated[
            bool, typer.Option("--check", help="Run qdev check in each repo (slow: runs tests).")
        ] = False,
        as_json: AsJson = False,
        html: Annotated[
            Path | None, typer.Option("--html", help="Also write the report as one HTML page.")
        ] = None,
        ci_matrix: Annotated[
            str | None,
            typer.Option(
                "--ci-matrix",
                help="Write a CI pipeline (github|gitlab) that runs status in shards.",
            ),
        ] = None,
        shards: Annotated[
            int | None,
            typer.Option("--shards", min=1, help="With --ci-matrix: shards (default: from size)."),
        ] = None,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="With --ci-matrix: where to write it.")
        ] = None,
        qdev_requirement: Annotated[
            str | None,
            typer.Option(
                "--qdev-requirement",
                help="With --ci-matrix: the qdev CI installs, e.g. qdev==1.4.2 (default: the "
                "repos' team profile's qdev_requirement).",
            ),
        ] = None,
        qdev_index: Annotated[
            str | None,
            typer.Option(
                "--qdev-index",
                help="With --ci-matrix: the index CI installs qdev from (default: the team "
                "profile's qdev_index).",
            ),
        ] = None,
        merge_from: Annotated[
            list[str] | None,
            typer.Option(
                "--from", help="Report from --json files of CI shards (paths or globs; repeat)."
            ),
        ] = None,
        no_memo: Annotated[
            bool, typer.Option("--no-memo", help="Read every repo again, ignoring the memo.")
        ] = False,
        offline: Annotated[
            bool, typer.Option("--offline", help="Never clone repos missing from the cache.")
        ] = False,
        schema: Annotated[
            bool, typer.Option("--schema", help="Print the JSON Schema of --json and exit.")
        ] = False,
    ) -> None:
        import json

        from qdev.fleet import report as reports
        from qdev.fleet.report import show_status

        if schema:
            typer.echo(json.dumps(reports.json_schema(), indent=2))
            return
        selection = selection_of(repo, group_name, tag, kind, where, shard)
        if ci_matrix is not None:
            flags = selection_flags(repo, group_name, tag, kind, where)
            target = MatrixTarget(ci_matrix, shards, output, qdev_requirement, qdev_index)
            _write_matrix(fleet_file, selection, target, flags, check=check)
            return
        if merge_from:
            document = reports.merge(_expand(merge_from))
        else:
            document = _collect(fleet_file, selection, jobs, check, no_memo, offline)
        raise typer.Exit(show_status(document, as_json=as_json, html=html))


def _collect(
    fleet_file: Path | None,
    selection: Selection,
    jobs: int,
    check: bool,
    no_memo: bool,
    offline: bool,
) -> Any:
    from qdev.fleet import report as reports
    from qdev.fleet.status import StatusOptions, collect

    fleet, members = selected(fleet_file, selection)
    options = StatusOptions(jobs, check, not no_memo, not offline)
    with progress_bar(len(members), "status") as tick:
        statuses = collect(fleet, members, options, tick)
    return reports.build(fleet.file, statuses)


def _expand(patterns: Sequence[str]) -> list[Path]:
    import glob

    from qdev.errors import UsageError

    paths: list[Path] = []
    for pattern in patterns:
        found = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not found:
            raise UsageError(f"--from {pattern}: matches no file", fix="check the pattern")
        paths += [Path(p) for p in found]
    return paths


@dataclass(frozen=True)
class MatrixTarget:
    """What --ci-matrix writes: for which CI, how many shards, where, installing which qdev."""

    provider: str
    shards: int | None
    output: Path | None
    requirement: str | None
    index: str | None


def _write_matrix(
    fleet_file: Path | None,
    selection: Selection,
    target: MatrixTarget,
    flags: list[str],
    *,
    check: bool,
) -> None:
    from rich.markup import escape

    from qdev.errors import UsageError
    from qdev.fleet import matrix
    from qdev.fleet.clones import workdir
    from qdev.fleet.select import by_labels
    from qdev.output import console

    provider = target.provider
    if provider not in matrix.PROVIDERS:
        raise UsageError(
            f"--ci-matrix {provider}: unknown CI provider",
            fix=f"one of: {', '.join(matrix.PROVIDERS)}",
        )
    if selection.shard is not None:
        raise UsageError("--ci-matrix makes the shards itself", fix="drop --shard")
    from qdev.fleet import manifest

    fleet = manifest.load(fleet_file)
    members = by_labels(fleet, selection)
    roots = [workdir(fleet, m) for m in members]
    source = matrix.choose_source(roots, target.requirement, target.index)
    count = target.shards or matrix.shard_count(len(members), check=check, provider=provider)
    text = matrix.pipeline(provider, count, flags, check=check, source=source)
    path = target.output or fleet.folder / matrix.DEFAULT_FILES[provider]
    matrix.write(path, text)
    least, most = len(members) // count, -(-len(members) // count)
    each = f"{most}" if least == most else f"{least}-{most}"
    console().print(
        f"wrote {escape(str(path))}: {count} shard{'s' * (count != 1)} over {len(members)} "
        f"repos ({each} per shard), installing {escape(source.requirement)} from "
        f"{escape(source.index)}"
    )


def selection_flags(
    repos: list[str] | None,
    groups: list[str] | None,
    tags: list[str] | None,
    kinds: list[str] | None,
    wheres: list[str] | None,
) -> list[str]:
    """The selection as command-line flags, to repeat in every shard's command."""
    flags: list[str] = []
    for flag, values in (("--repo", repos), ("--group", groups), ("--tag", tags),
                         ("--kind", kinds), ("--where", wheres)):  # fmt: skip
        for value in values or ():
            flags += [flag, value]
    return flags


# -- sync --------------------------------------------------------------------------------------


def _register_sync(group: typer.Typer) -> None:
    @group.command("sync", help=SYNC_HELP)
    def sync(
        branch: Annotated[
            str, typer.Option("--branch", "-b", help="The branch made in each repo.")
        ],
        push: Annotated[bool, typer.Option("--push", help="Push the branches to origin.")] = False,
        ref: Annotated[
            str | None,
            typer.Option("--ref", help="The profile tag to move to (default: its newest release)."),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Say what would change; commit nothing.")
        ] = False,
        fleet_file: FleetFile = None,
        repo: Repos = None,
        group_name: Groups = None,
        tag: Tags = None,
        kind: Kinds = None,
        where: Wheres = None,
        shard: Shard = None,
        jobs: Jobs = 0,
        as_json: AsJson = False,
    ) -> None:
        from qdev.errors import UsageError
        from qdev.fleet.campaign import CampaignOptions, run
        from qdev.tools import git

        if not git.valid_branch_name(branch):
            raise UsageError(
                f"--branch {branch!r} is not a valid branch name", fix="e.g. qdev/profile-v3"
            )
        fleet, members = selected(
            fleet_file, selection_of(repo, group_name, tag, kind, where, shard)
        )
        options = CampaignOptions(branch, push, ref, jobs, dry_run)
        with progress_bar(len(members), "sync") as tick:
            count = [0]

            def done(outcome: Any) -> None:
                count[0] += 1
                tick(outcome.name, count[0], len(members))

            outcomes = run(fleet, members, options, done)
        _show_campaign(outcomes, options, as_json=as_json)
        raise typer.Exit(0 if all(o.ok for o in outcomes) else 1)


ACTION_STYLE = {
    "created": "green",
    "updated": "cyan",
    "pushed": "cyan",
    "unchanged": "dim",
    "up to date": "dim",
    "conflict": "bold red",
    "failed": "bold red",
    "skipped": "yellow",
}


def _show_campaign(outcomes: Sequence[Any], options: Any, *, as_json: bool) -> None:
    import json
    from dataclasses import asdict

    from rich.markup import escape
    from rich.table import Table

    from qdev.output import console

    if as_json:
        typer.echo(json.dumps({"branch": options.branch, "repos": [asdict(o) for o in outcomes]},
                              indent=2))  # fmt: skip
        return
    table = Table(title=f"qdev fleet sync --branch {escape(options.branch)}", title_justify="left")
    for column in ("repo", "done", "profile", "files", "pushed", "detail"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        style = ACTION_STYLE.get(o.action, "")
        action = f"[{style}]{o.action}[/]" if style else o.action
        moved = f"{o.source or '?'} -> {o.target or 'current'}" if o.source else ""
        table.add_row(
            escape(o.name),
            action,
            escape(moved),
            escape(", ".join(o.files)),
            "yes" if o.pushed else "",
            escape(o.detail),
        )
    console().print(table)
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.action] = counts.get(o.action, 0) + 1
    console().print(", ".join(f"{n} {action}" for action, n in sorted(counts.items())))


# -- run ---------------------------------------------------------------------------------------


def _register_run(group: typer.Typer) -> None:
    @group.command("run", help=RUN_HELP)
    def run_(
        command: Annotated[list[str], typer.Argument(help="The command and its arguments.")],
        fleet_file: FleetFile = None,
        repo: Repos = None,
        group_name: Groups = None,
        tag: Tags = None,
        kind: Kinds = None,
        where: Wheres = None,
        shard: Shard = None,
        jobs: Jobs = 0,
        timeout: Annotated[
            float | None,
            typer.Option("--timeout", min=0.1, help="Seconds per repo before it is ended."),
        ] = None,
        failed_only: Annotated[
            bool, typer.Option("--failed-only", help="Show the output of failed repos only.")
        ] = False,
        as_json: AsJson = False,
    ) -> None:
        from qdev.fleet.runner import run_everywhere

        fleet, members = selected(
            fleet_file, selection_of(repo, group_name, tag, kind, where, shard)
        )
        show = None if as_json else _grouped_printer(failed_only)
        results = run_everywhere(fleet, members, command, jobs=jobs, timeout=timeout, done=show)
        _show_runs(results, as_json=as_json)
        raise typer.Exit(0 if all(r.ok for r in results) else 1)


def _grouped_printer(failed_only: bool) -> Callable[[Any], None]:
    from rich.markup import escape

    from qdev.output import console

    def show(result: Any) -> None:
        if failed_only and result.ok:
            return
        mark = "[green]ok[/green]" if result.ok else "[bold red]failed[/bold red]"
        code = "" if result.returncode is None else f" (exit {result.returncode})"
        console().print(f"[bold]== {escape(result.name)}[/bold] {mark}{code} {result.seconds:.1f}s")
        if result.output.strip():
            console().print(escape(result.output.rstrip()))

    return show


def _show_runs(results: Sequence[Any], *, as_json: bool) -> None:
    import json

    from rich.markup import escape
    from rich.table import Table

    from qdev.output import console

    if as_json:
        rows = [
            {"name": r.name, "path": str(r.root), "exit_code": r.returncode, "ok": r.ok,
             "seconds": round(r.seconds, 3), "output": r.output}
            for r in results
        ]  # fmt: skip
        typer.echo(json.dumps({"repos": rows}, indent=2))
        return
    table = Table(title_justify="left")
    for column in ("repo", "result", "exit", "seconds"):
        table.add_column(column)
    for r in results:
        mark = "[green]passed[/green]" if r.ok else "[bold red]failed[/bold red]"
        code = "-" if r.returncode is None else str(r.returncode)
        table.add_row(escape(r.name), mark, code, f"{r.seconds:.1f}")
    passed = sum(r.ok for r in results)
    table.title = f"{passed} of {len(results)} passed"
    console().print(table)
