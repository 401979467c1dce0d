"""The status report: one JSON document (docs/fleet.md, `qdev fleet status --schema`), and the
rich table drawn from it. The HTML page (page.py) is drawn from the same document, and shard
documents written by CI jobs merge into one (`qdev fleet status --from`).

Health: each repo gets findings, each `bad` (unreadable, invalid config, unresolved sync
conflict, failing `qdev check`), `warn` (behind the profile's latest release, drift, drift that
cannot be told) or `info` (unreleased commits, no release yet, an old lock, no known check
result, a check older than the last commit). A repo's level is its worst finding; info does
not lower it from ok. Repos are sorted with the unreadable first, then by how many profile
releases they are behind, then by level and drift.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypedDict

from qdev.errors import UsageError
from qdev.fleet.facts import RepoFacts
from qdev.fleet.status import RepoStatus

SCHEMA = "qdev-fleet-status"
SCHEMA_VERSION = 1
LOCK_OLD_DAYS = 90
"""A lock untouched this long misses months of fixes (security ones among them)."""
LEVELS = ("ok", "info", "warn", "bad")

Level = Literal["ok", "warn", "bad"]
FindingLevel = Literal["info", "warn", "bad"]


class ProfileJson(TypedDict):
    name: str | None
    source: str | None
    version: str | None
    """The profile version the repo's files came from."""
    ref: str | None
    """The ref those files came from."""
    pinned: str | None
    """The ref the repo's config pins now."""
    latest: str | None
    """The newest release of the profile known here (after `qdev fleet fetch`)."""
    behind: int
    """Releases of the profile newer than `version`."""


class DriftItemJson(TypedDict):
    path: str
    reason: str
    detail: str


class DriftJson(TypedDict):
    known: bool
    ok: bool | None
    count: int
    items: list[DriftItemJson]
    error: str | None


class ConfigJson(TypedDict):
    valid: bool | None
    problems: list[str]


class BranchJson(TypedDict):
    name: str | None
    head: str | None
    time: str | None
    age_days: float | None


class ReleaseJson(TypedDict):
    tag: str | None
    time: str | None
    age_days: float | None
    commits_since: int | None


class LockJson(TypedDict):
    present: bool
    time: str | None
    age_days: float | None


class CheckJson(TypedDict):
    status: Literal["passed", "failed", "not_run", "unknown"]
    time: str | None
    age_days: float | None
    failed_steps: list[str]
    summary: str
    fresh: bool


class FindingJson(TypedDict):
    level: FindingLevel
    code: str
    message: str


class HealthJson(TypedDict):
    level: Level
    findings: list[FindingJson]


class RepoJson(TypedDict):
    name: str
    group: str | None
    tags: list[str]
    location: str
    path: str
    readable: bool
    error: str | None
    kind: str | None
    profile: ProfileJson
    drift: DriftJson
    config: ConfigJson
    default_branch: BranchJson
    release: ReleaseJson
    lock: LockJson
    check: CheckJson
    git_error: str | None
    health: HealthJson


class SummaryJson(TypedDict):
    repos: int
    ok: int
    warn: int
    bad: int
    unreadable: int
    behind: int
    drifted: int
    failing: int
    unreleased: int
    """Repos with commits since their last release tag."""
    never_released: int


class ReportJson(TypedDict):
    schema: str
    schema_version: int
    generated: str
    fleet: str
    summary: SummaryJson
    repos: list[RepoJson]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the report, generated from the types above."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(_for_pydantic(ReportJson, {})).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "qdev fleet status --json"
    return schema


def _for_pydantic(kind: Any, made: dict[str, Any]) -> Any:
    """`kind` with each TypedDict remade from typing_extensions, which pydantic needs before
    Python 3.12 (typing's is used above: importing typing_extensions costs every status call)."""
    import types
    import typing

    import typing_extensions

    if typing.is_typeddict(kind):
        if kind.__name__ not in made:
            hints = typing.get_type_hints(kind)
            fields = {name: _for_pydantic(hint, made) for name, hint in hints.items()}
            made[kind.__name__] = typing_extensions.TypedDict(kind.__name__, fields)  # type: ignore[operator]
        return made[kind.__name__]
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if not args or origin is Literal:
        return kind
    inner = tuple(_for_pydantic(arg, made) for arg in args)
    if origin is types.UnionType or origin is typing.Union:
        return typing.Union[inner]  # noqa: UP007 - built from a tuple
    return origin[inner[0] if len(inner) == 1 else inner]


# -- building ----------------------------------------------------------------------------------


def build(fleet_file: Path, statuses: Sequence[RepoStatus], now: float | None = None) -> ReportJson:
    now = time.time() if now is None else now
    repos = sorted((repo_json(s, now) for s in statuses), key=sort_key)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated": _iso(now) or "",
        "fleet": str(fleet_file),
        "summary": summarize(repos),
        "repos": repos,
    }


def sort_key(repo: RepoJson) -> tuple[int, int, int, int, str]:
    return (
        0 if not repo["readable"] else 1,
        -repo["profile"]["behind"],
        -LEVELS.index(repo["health"]["level"]),
        -repo["drift"]["count"],
        repo["name"],
    )


def summarize(repos: Sequence[RepoJson]) -> SummaryJson:
    def count(test: Any) -> int:
        return sum(1 for repo in repos if test(repo))

    return {
        "repos": len(repos),
        "ok": count(lambda r: r["health"]["level"] == "ok"),
        "warn": count(lambda r: r["health"]["level"] == "warn"),
        "bad": count(lambda r: r["health"]["level"] == "bad"),
        "unreadable": count(lambda r: not r["readable"]),
        "behind": count(lambda r: r["profile"]["behind"] > 0),
        "drifted": count(lambda r: r["drift"]["count"] > 0),
        "failing": count(lambda r: r["check"]["status"] == "failed"),
        "unreleased": count(unreleased),
        "never_released": count(lambda r: r["readable"] and r["release"]["tag"] is None),
    }


def unreleased(repo: RepoJson) -> bool:
    """Commits on the default branch since its last release tag."""
    return repo["release"]["tag"] is not None and (repo["release"]["commits_since"] or 0) > 0


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _age(stamp: float | None, now: float) -> float | None:
    return None if stamp is None else round(max(0.0, now - stamp) / 86400, 2)


def repo_json(status: RepoStatus, now: float) -> RepoJson:
    facts, member = status.facts, status.member
    repo: RepoJson = {
        "name": member.name,
        "group": member.group,
        "tags": list(member.tags),
        "location": member.location,
        "path": str(status.root),
        "readable": facts.error is None,
        "error": facts.error,
        "kind": facts.kind,
        "profile": {
            "name": facts.profile,
            "source": facts.profile_source,
            "version": facts.version,
            "ref": facts.recorded_ref,
            "pinned": facts.pinned_ref,
            "latest": status.latest.version,
            "behind": status.latest.behind,
        },
        "drift": _drift_json(facts),
        "config": {"valid": facts.config_valid, "problems": list(facts.config_problems)},
        "default_branch": {
            "name": facts.default_branch,
            "head": facts.head,
            "time": _iso(facts.head_time),
            "age_days": _age(facts.head_time, now),
        },
        "release": {
            "tag": facts.release_tag,
            "time": _iso(facts.release_time),
            "age_days": _age(facts.release_time, now),
            "commits_since": facts.commits_since_release,
        },
        "lock": {
            "present": facts.lock_present,
            "time": _iso(facts.lock_time),
            "age_days": _age(facts.lock_time, now),
        },
        "check": {
            "status": facts.check_status,  # type: ignore[typeddict-item]
            "time": _iso(facts.check_time),
            "age_days": _age(facts.check_time, now),
            "failed_steps": list(facts.check_failed),
            "summary": facts.check_summary,
            "fresh": facts.check_fresh,
        },
        "git_error": facts.git_error,
        "health": {"level": "ok", "findings": []},
    }
    repo["health"] = health(repo, facts)
    return repo


def _drift_json(facts: RepoFacts) -> DriftJson:
    if facts.drift is None:
        return {"known": False, "ok": None, "count": 0, "items": [], "error": facts.drift_error}
    items: list[DriftItemJson] = [
        {"path": d.path, "reason": d.reason, "detail": d.detail} for d in facts.drift
    ]
    return {"known": True, "ok": not items, "count": len(items), "items": items, "error": None}


def health(repo: RepoJson, facts: RepoFacts) -> HealthJson:
    findings = _findings(repo, facts)
    levels = {f["level"] for f in findings}
    level: Level = "bad" if "bad" in levels else ("warn" if "warn" in levels else "ok")
    return {"level": level, "findings": findings}


def _findings(repo: RepoJson, facts: RepoFacts) -> list[FindingJson]:
    found: list[FindingJson] = []

    def add(level: FindingLevel, code: str, message: str) -> None:
        found.append({"level": level, "code": code, "message": message})

    if facts.error is not None:
        add("bad", "unreadable", facts.error)
        return found
    if facts.config_valid is False:
        add("bad", "config-invalid", "invalid config: " + "; ".join(facts.config_problems))
    _drift_findings(repo, add)
    _check_findings(repo, facts, add)
    _release_findings(repo, add)
    if facts.git_error:
        add("warn", "git", facts.git_error)
    return found


def _drift_findings(repo: RepoJson, add: Any) -> None:
    drift, profile = repo["drift"], repo["profile"]
    conflicts = [i["path"] for i in drift["items"] if i["reason"] == "unresolved conflict"]
    if conflicts:
        add("bad", "conflict", f"unresolved sync conflict in {', '.join(conflicts)}")
    others = [i for i in drift["items"] if i["reason"] != "unresolved conflict"]
    if others:
        reasons = sorted({i["reason"] for i in others})
        add(
            "warn", "drift", f"{len(others)} drift{'s' * (len(others) != 1)} ({', '.join(reasons)})"
        )
    if not drift["known"] and repo["config"]["valid"] is not False:
        add("warn", "drift-unknown", f"drift unknown: {drift['error']}")
    if profile["behind"] > 0:
        add(
            "warn",
            "behind",
            f"{profile['behind']} profile release{'s' * (profile['behind'] != 1)} behind "
            f"({profile['ref'] or profile['version']} -> {profile['latest']})",
        )


def _check_findings(repo: RepoJson, facts: RepoFacts, add: Any) -> None:
    check = repo["check"]
    if check["status"] == "failed":
        add("bad", "check-failed", f"qdev check failed: {', '.join(check['failed_steps'])}")
    elif check["status"] == "unknown":
        add("info", "check-unknown", "no qdev check result known (run with --check)")
    elif check["status"] == "not_run":
        add("info", "check-not-run", f"qdev check could not run: {check['summary']}")
    if (
        check["status"] != "unknown"
        and not check["fresh"]
        and facts.check_time is not None
        and facts.head_time is not None
        and facts.check_time < facts.head_time
    ):
        add("info", "check-stale", "the last qdev check is older than the last commit")


def _release_findings(repo: RepoJson, add: Any) -> None:
    release, lock = repo["release"], repo["lock"]
    since = release["commits_since"] or 0
    if release["tag"] is None and release["commits_since"] is not None:
        add("info", "never-released", "no release tag yet")
    elif since > 0:
        add("info", "unreleased", f"{since} commit{'s' * (since != 1)} since {release['tag']}")
    if lock["age_days"] is not None and lock["age_days"] > LOCK_OLD_DAYS:
        add("info", "lock-old", f"uv.lock unchanged for {int(lock['age_days'])} days")


# -- merging shard documents -------------------------------------------------------------------


def merge(paths: Sequence[Path]) -> ReportJson:
    """One report from the documents CI shards wrote (`--from`)."""
    repos: dict[str, RepoJson] = {}
    generated, fleet = "", ""
    for path in paths:
        document = _read_document(path)
        generated = max(generated, document["generated"])
        fleet = fleet or document["fleet"]
        for repo in document["repos"]:
            repos[repo["name"]] = repo
    ordered = sorted(repos.values(), key=sort_key)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated": generated,
        "fleet": fleet,
        "summary": summarize(ordered),
        "repos": ordered,
    }


def _read_document(path: Path) -> ReportJson:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--from {path}: {exc.strerror}", fix="check the path") from None
    except ValueError as exc:
        raise UsageError(f"--from {path}: not JSON ({exc})", fix="give a --json report") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(
            f"--from {path}: not a qdev fleet status report",
            fix="give files written by `qdev fleet status --json`",
        )
    if data.get("schema_version") != SCHEMA_VERSION:
        raise UsageError(
            f"--from {path}: report schema version {data.get('schema_version')}, "
            f"this qdev reads {SCHEMA_VERSION}",
            fix="write every shard with the same qdev version",
        )
    return data  # type: ignore[return-value]


# -- the table ---------------------------------------------------------------------------------

STYLE = {"ok": "green", "warn": "yellow", "bad": "bold red", "info": "dim"}


def table(report: ReportJson) -> Any:
    """The rich table `qdev fleet status` prints."""
    from rich.table import Table

    grid = Table(title=_title(report), title_justify="left", expand=False)
    for column in ("repo", "kind", "profile", "latest", "drift", "config", "head", "release",
                   "lock", "check", "health"):  # fmt: skip
        grid.add_column(column, overflow="fold")
    for repo in report["repos"]:
        grid.add_row(*_cells(repo))
    return grid


def _title(report: ReportJson) -> str:
    s = report["summary"]
    return (
        f"{s['repos']} repos: {s['ok']} ok, {s['warn']} warn, {s['bad']} bad  ·  "
        f"{s['behind']} behind the profile, {s['drifted']} drifted, {s['failing']} failing "
        f"checks, {s['unreleased']} with unreleased commits, {s['never_released']} never released"
    )


def _cells(repo: RepoJson) -> list[str]:
    from rich.markup import escape

    level = repo["health"]["level"]
    health = f"[{STYLE[level]}]{level}[/]"
    worst = [f["code"] for f in repo["health"]["findings"] if f["level"] != "info"]
    if worst:
        health += " " + escape(", ".join(worst))
    if not repo["readable"]:
        return [escape(repo["name"]), "", "", "", "", "", "", "", "", "", health]
    profile, drift, check = repo["profile"], repo["drift"], repo["check"]
    behind = profile["behind"]
    ref = profile["pinned"] or profile["ref"] or profile["version"] or "?"
    pinned = f"{escape(profile['name'] or '?')} {escape(ref)}"
    latest = escape(profile["latest"] or "?") + (f" [yellow]-{behind}[/]" if behind else "")
    drift_cell = (
        "[green]none[/]" if drift["ok"] else
        (f"[yellow]{drift['count']}[/]" if drift["known"] else "[dim]?[/]")
    )  # fmt: skip
    config = {True: "[green]valid[/]", False: "[bold red]invalid[/]", None: "[dim]?[/]"}
    return [
        escape(repo["name"]),
        escape(repo["kind"] or "?"),
        pinned,
        latest,
        drift_cell,
        config[repo["config"]["valid"]],
        _days(repo["default_branch"]["age_days"]),
        _release_cell(repo["release"]),
        _days(repo["lock"]["age_days"]) if repo["lock"]["present"] else "[dim]none[/]",
        _check_cell(check),
        health,
    ]


def _days(age: float | None) -> str:
    if age is None:
        return "[dim]?[/]"
    return f"{age:.0f}d" if age >= 1 else f"{age * 24:.0f}h"


def _release_cell(release: ReleaseJson) -> str:
    from rich.markup import escape

    if release["tag"] is None:
        return f"[dim]none[/] +{release['commits_since'] or 0}"
    since = release["commits_since"] or 0
    extra = f" [yellow]+{since}[/]" if since else ""
    return f"{escape(release['tag'])} {_days(release['age_days'])}{extra}"


def _check_cell(check: CheckJson) -> str:
    style = {"passed": "green", "failed": "bold red", "not_run": "yellow", "unknown": "dim"}
    text = check["status"].replace("_", " ")
    if check["failed_steps"]:
        text += f" ({', '.join(check['failed_steps'])})"
    return f"[{style[check['status']]}]{text}[/]"


def show_status(document: ReportJson, *, as_json: bool, html: Path | None) -> int:
    """Print the report (table or JSON), write the page if asked; the exit code: 1 when some
    repos could not be read."""
    import sys

    if html is not None:
        from rich.markup import escape

        from qdev.fileio import write_atomic
        from qdev.fleet import page
        from qdev.output import info

        write_atomic(html, page.render(document))
        info(f"wrote {escape(str(html))}")
    if as_json:
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        from rich.markup import escape

        from qdev.output import console

        out = console()
        out.print(table(document))
        for repo in document["repos"]:
            if not repo["readable"]:
                out.print(f"[red]{escape(repo['name'])}[/red]: {escape(repo['error'] or '')}")
    return 1 if document["summary"]["unreadable"] else 0
