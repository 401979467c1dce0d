"""From the repository, the config and the request to a ReleasePlan: every guard is checked and
every file's new text is computed here, in memory, before the transaction writes anything."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from packaging.version import InvalidVersion, Version

from qdev.errors import ConfigError, GuardRefused
from qdev.project.facts import read_facts
from qdev.redact import mask_credentials
from qdev.release import guards, schemes
from qdev.release.changelog import insert_section, render_section, web_url
from qdev.release.commits import Commit, bump_for, parse_messages
from qdev.release.journal import FileEdit, Journal
from qdev.release.version_files import (
    ProjectVersion,
    find_lock,
    planned_edits,
    read_project,
    set_lock_version,
)
from qdev.tools import git as gitops

if TYPE_CHECKING:
    import git

    from qdev.config.layers import Source
    from qdev.config.models import QdevConfig

T = TypeVar("T")

ALL_STEPS = ("version", "changelog", "commit", "tag", "build", "verify", "push", "publish")


@dataclass(frozen=True)
class ReleaseRequest:
    bump: str = "auto"
    """major, minor, patch, auto, post, dev, or an explicit version."""
    pre: str | None = None
    push: bool | None = None
    """None: as release.push says."""
    publish: bool | None = None
    skip_checks: bool = False
    dry_run: bool = False
    today: date | None = None


@dataclass
class ReleasePlan:
    root: Path
    """The git work tree's top folder."""
    package: str
    current: str
    version: str
    bump: str
    tag: str
    previous_tag: str | None
    commits: list[Commit]
    changelog_file: str | None
    changelog_section: str
    edits: list[FileEdit]
    commit_message: str
    tag_message: str
    branch: str
    remote: str | None
    push: bool
    publish: bool
    publish_url: str | None
    check_url: str | None
    sign: str | bool
    checks: str
    steps: list[str]
    saved_head: str
    project_dir: str = "."
    """The folder of pyproject.toml, relative to `root`."""
    notes: list[str] = field(default_factory=list)
    version_source: str = "static"
    """Where the version lives (a `qdev.project.facts.VersionKind` value)."""
    version_files: list[str] = field(default_factory=list)
    """The files holding the literal version, bumped together (none for a version from tags)."""
    tag_format: str = "v{version}"
    refusals: list[GuardRefused] = field(default_factory=list)
    """In a dry run, every guard that would refuse this release (a real run raises the first)."""
    publish_auth: tuple[str, str] | None = field(default=None, repr=False)
    """(user, password) from an index URL set in the environment; never journaled or shown."""

    def journal(self) -> Journal:
        return Journal(
            version=self.version,
            previous=self.current,
            tag=self.tag,
            tag_message=self.tag_message,
            commit_message=self.commit_message,
            branch=self.branch,
            saved_head=self.saved_head,
            edits=self.edits,
            steps=self.steps,
            remote=self.remote,
            publish_url=self.publish_url,
            check_url=self.check_url,
            sign=self.sign,
            package=self.package,
            project_dir=self.project_dir,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "current": self.current,
            "version": self.version,
            "bump": self.bump,
            "tag": self.tag,
            "previous_tag": self.previous_tag,
            "commits": len(self.commits),
            "files": [edit.path for edit in self.edits],
            "version_source": self.version_source,
            "version_files": self.version_files,
            "tag_format": self.tag_format,
            "changelog": self.changelog_section,
            "branch": self.branch,
            "remote": self.remote,
            "push": self.push,
            "publish": self.publish,
            "publish_url": self.publish_url,
            "checks": self.checks,
            "steps": self.steps,
            "notes": self.notes,
            "refusals": [
                {"reason": refusal.message, "fix": refusal.fix} for refusal in self.refusals
            ],
        }


def tag_pattern(tag_format: str) -> re.Pattern[str]:
    head, _, tail = tag_format.partition("{version}")
    return re.compile(f"^{re.escape(head)}(?P<version>.+){re.escape(tail)}$")


def last_release_tag(
    repo: git.Repo, tag_format: str, tags: Sequence[str] | None = None
) -> tuple[str, Version] | None:
    """The tag of the greatest version reachable from HEAD, among tags that fit the format.

    Tags are ranked by version first and checked for reachability from the top down, which
    usually takes one ancestry test instead of a walk of the whole history for every tag.
    """
    pattern = tag_pattern(tag_format)
    ranked: list[tuple[Version, str]] = []
    for name in gitops.tag_list(gitops.work_tree(repo)) if tags is None else tags:
        match = pattern.match(name)
        if match:
            try:
                ranked.append((Version(match.group("version")), name))
            except InvalidVersion:
                continue
    ranked.sort(reverse=True)
    for tries, (version, name) in enumerate(ranked):
        if tries == _ANCESTRY_TRIES:
            reachable = set(gitops.tags_merged(repo))
            found = next(((n, v) for v, n in ranked[tries:] if n in reachable), None)
            return found
        if gitops.is_ancestor(repo, f"refs/tags/{name}", "HEAD"):
            return name, version
    return None


_ANCESTRY_TRIES = 8


@dataclass(frozen=True)
class PublishTarget:
    url: str
    """The upload URL, without credentials."""
    check_url: str | None
    """The index URL to look for files already there, without credentials."""
    auth: tuple[str, str] | None = None
    """Credentials that came with a URL set in the environment (never from a file)."""
    auth_source: str | None = None
    """Where those credentials were set, e.g. "environment variable QDEV_ENV__INDEXES__TEAM"."""


SourceOf = Callable[[str], "Source"]


def resolve_publish(config: QdevConfig, source_of: SourceOf | None = None) -> PublishTarget:
    """Where release.publish_index uploads to. A URL holding credentials is refused when a file
    sets it (they would be committed); from the environment its credentials are taken apart
    from the URL, so they are never printed, journaled or passed on a command line."""
    target = config.release.publish_index
    if not target:
        raise ConfigError(
            ["release.publish is on, but release.publish_index names no index"],
            fix="set release.publish_index to an upload URL or a name from [env.indexes]",
        )
    if target in config.env.indexes:
        key, simple = f"env.indexes.{target}", config.env.indexes[target]
        url, check = re.sub(r"simple/?$", "", simple), simple
    elif re.match(r"^https?://", target):
        key, url, check = "release.publish_index", target, None
    else:
        known = ", ".join(config.env.indexes) or "none"
        raise ConfigError(
            [f'release.publish_index "{target}" is not a URL nor one of env.indexes ({known})'],
            fix="name an index from env.indexes, or give its upload URL",
        )
    clean, auth = split_credentials(url)
    if auth is None:
        return PublishTarget(url, check)
    source = source_of(key) if source_of is not None else None
    if source is None or source.kind not in ("env", "override"):
        where = f"in {source}" if source is not None else "in the configuration"
        raise ConfigError(
            [f"{key} = {mask_credentials(url)}: the URL holds credentials, {where}"],
            fix="remove them from the URL; set UV_PUBLISH_TOKEN (or UV_PUBLISH_USERNAME and "
            "UV_PUBLISH_PASSWORD) in the environment, or use a keyring",
        )
    return PublishTarget(clean, split_credentials(check)[0] if check else None, auth, str(source))


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """(the URL without user-info, (user, password) or None)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    clean = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    user = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    return clean, (user or "__token__", password) if password else ("__token__", user)


class PlanRefused(GuardRefused):
    """A dry run's refusals, after the plan was shown with them."""


class _Guards:
    """Runs guards: a real run stops at the first refusal, a dry run collects them all."""

    def __init__(self, collect: bool) -> None:
        self.collect = collect
        self.refused: list[GuardRefused] = []

    def check(self, guard: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return guard(*args, **kwargs)
        except GuardRefused as refusal:
            if not self.collect:
                raise
            self.refused.append(refusal)
            return None


def read_commits(repo: git.Repo, rev_range: str) -> list[Commit]:
    return parse_messages(gitops.log_messages(repo, rev_range))


def make_plan(
    root: Path, config: QdevConfig, request: ReleaseRequest, source_of: SourceOf | None = None
) -> ReleasePlan:
    """Check the guards and compute the release; raise GuardRefused, UsageError or ConfigError.

    A dry run raises no GuardRefused: it returns the plan with every refusal in `refusals`.
    """
    settings = config.release
    repo = gitops.open_repo(root)
    project_root = root.resolve()
    root = Path(repo.working_tree_dir or root).resolve()
    today = request.today or date.today()
    facts = read_facts(project_root)
    tag_format = _chosen(config, source_of, "tag_format", facts.tag_format)
    branch = _chosen(config, source_of, "branch", facts.default_branch)
    check = _Guards(collect=request.dry_run)
    check.check(guards.no_release_in_progress, repo)
    check.check(guards.git_unlocked, repo)
    check.check(guards.clean_tree, repo)
    check.check(guards.on_branch, repo, branch)
    saved_head = gitops.head_commit(repo)
    check.check(guards.has_commits, saved_head)

    project = read_project(project_root, facts)
    last = (
        last_release_tag(repo, tag_format, facts.tags if facts.git else None)
        if saved_head
        else None
    )
    previous_tag = last[0] if last else None
    if saved_head:
        check.check(guards.history_complete, repo, previous_tag)
    commits = (
        read_commits(repo, f"{previous_tag}..HEAD" if previous_tag else "HEAD")
        if saved_head
        else []
    )
    check.check(guards.commits_since, previous_tag, len(commits))

    current, version_notes = _current_version(project, last)
    bump, version = _planned_version(settings, current, commits, request, today, check)
    tag = tag_format.format(version=version)
    new_version = not bump.startswith("none")
    if saved_head and new_version:
        check.check(guards.tag_absent, repo, tag)
        check.check(guards.version_greater, version, current, first_release=previous_tag is None)

    push = settings.push if request.push is None else request.push
    publish = settings.publish if request.publish is None else request.publish
    remote = gitops.upstream_remote(repo, branch)
    remote_check = guards.RemoteCheck(
        branch,
        tag if new_version else None,
        tag_pattern(tag_format),
        last[1] if last else None,
    )
    notes = check.check(guards.remote_ready, repo, remote, remote_check, push=push) or []
    target = resolve_publish(config, source_of) if publish else None

    checks = _checks(project_root, request)
    link = web_url(gitops.remote_url(repo, remote)) if remote else None
    section = render_section(version, today, commits, link=link)
    edits, lock_notes = _edits(
        project_root, root, project, version, settings.version_files, settings.changelog, section
    )
    skipped = {
        "version": project.version is None,
        "changelog": not settings.changelog,
        "commit": not edits,
        "push": not push,
        "publish": not publish,
    }
    return ReleasePlan(
        root=root,
        project_dir=project_root.relative_to(root).as_posix(),
        package=project.name,
        current=current,
        version=version,
        bump=bump,
        tag=tag,
        previous_tag=previous_tag,
        commits=commits,
        changelog_file=settings.changelog or None,
        changelog_section=section,
        edits=edits,
        commit_message=f"chore(release): {tag}",
        tag_message=_tag_message(project.name, version, section, skip_checks=request.skip_checks),
        branch=branch,
        remote=remote,
        push=push,
        publish=publish,
        publish_url=target.url if target else None,
        check_url=target.check_url if target else None,
        sign=settings.sign,
        checks=checks,
        steps=[step for step in ALL_STEPS if not skipped.get(step)],
        saved_head=saved_head or "",
        notes=[*version_notes, *notes, *lock_notes, *_auth_note(target)],
        version_source=project.kind,
        version_files=[
            edit.path
            for edit in edits
            if edit.path != _changelog_rel(settings.changelog, project_root, root)
            and not edit.path.endswith("uv.lock")
        ],
        tag_format=tag_format,
        refusals=check.refused,
        publish_auth=target.auth if target else None,
    )


def _planned_version(
    settings: Any,
    current: str,
    commits: list[Commit],
    request: ReleaseRequest,
    today: date,
    check: _Guards,
) -> tuple[str, str]:
    """The bump and the new version; in a dry run whose commits call for no bump, the plan is
    shown as a patch release beside the refusal."""
    if not commits and check.collect and not schemes.looks_like_version(request.bump):
        return "none: nothing to release", current
    planned = check.check(
        _new_version,
        settings.scheme,
        settings.calver_format,
        current,
        commits,
        request,
        today,
    )
    if planned is not None:
        return planned
    fallback = replace(request, bump="patch")
    bump, version = _new_version(
        settings.scheme, settings.calver_format, current, commits, fallback, today
    )
    return f"{bump} (shown; auto found no bump)", version


def _changelog_rel(changelog: str, project_root: Path, git_root: Path) -> str | None:
    return (project_root / changelog).relative_to(git_root).as_posix() if changelog else None


def _chosen(config: QdevConfig, source_of: SourceOf | None, key: str, found: str | None) -> str:
    """release.<key> as set for this repo (its qdev.toml, the environment, the command line),
    else what the repo shows (its tags, its default branch), else the profile's or qdev's
    default: a team-wide default never overrides the history a repo already has."""
    value = str(getattr(config.release, key))
    if source_of is not None:
        explicit = source_of(f"release.{key}").kind in ("repo", "env", "override")
    else:
        from qdev.config.models import ReleaseConfig

        explicit = value != getattr(ReleaseConfig(), key)
    return value if explicit or not found else found


def _current_version(
    project: ProjectVersion, last: tuple[str, Version] | None
) -> tuple[str, list[str]]:
    """The version to bump from: the one the files hold, or the last release tag's when that is
    greater (or when the version is taken from tags), so the next one is above every release."""
    if project.version is None:
        return (str(last[1]) if last else "0.0.0"), []
    if last is not None and last[1] > schemes.parse(project.version, what="the current version"):
        where = ", ".join(project.files)
        return str(last[1]), [
            f"{where} says {project.version}, below the last release {last[0]}: the new version "
            f"follows {last[1]} and is written there too"
        ]
    return project.version, []


def _auth_note(target: PublishTarget | None) -> list[str]:
    if target is None or target.auth_source is None:
        return []
    return [f"publish credentials: from the index URL in {target.auth_source} (not shown)"]


def _tag_message(package: str, version: str, section: str, *, skip_checks: bool) -> str:
    """The changelog section without its heading; says so when the checks were skipped."""
    body = section.split("\n", 2)[2].strip() if section.count("\n") >= 2 else ""
    skipped = "\n\nqdev check was skipped (--skip-checks)." if skip_checks else ""
    return f"{package} {version}\n\n{body}{skipped}\n"


def _checks(root: Path, request: ReleaseRequest) -> str:
    if request.skip_checks:
        return "skipped (--skip-checks)"
    if request.dry_run:
        return "not run in a dry run"
    return guards.checks_pass(root)


def _new_version(
    scheme: str,
    calver_format: str,
    current: str,
    commits: list[Commit],
    request: ReleaseRequest,
    today: date,
) -> tuple[str, str]:
    if schemes.looks_like_version(request.bump):
        return "explicit", schemes.explicit_version(request.bump, scheme)
    bump = request.bump
    if bump == "auto" and scheme != "calver":
        found = bump_for(commits, schemes.parse(current, what="the current version"))
        if found is None:
            raise GuardRefused(
                f"none of the {len(commits)} commits since the last release is a feat, fix, perf "
                "or breaking change, so auto finds no bump",
                fix="name the bump: qdev release patch (or minor, major, or a version)",
            )
        bump = found
    version = schemes.next_version(
        scheme, current, bump, pre=request.pre, calver_format=calver_format, today=today
    )
    return bump, version


def _edits(
    root: Path,
    git_root: Path,
    project: ProjectVersion,
    version: str,
    version_files: list[str],
    changelog: str,
    section: str,
) -> tuple[list[FileEdit], list[str]]:
    """Each edit's path is relative to the git root: the project may live in a subfolder.

    Returns the edits and notes about a uv.lock that could not be brought along.
    """

    def rel(name: str | Path) -> str:
        return (root / name).relative_to(git_root).as_posix()

    edits = [
        FileEdit(rel(path), original, new)
        for path, (original, new) in planned_edits(root, project, version, version_files).items()
    ]
    notes: list[str] = []
    lock = find_lock(root, git_root) if project.version is not None else None
    if lock is not None:
        text = lock.read_bytes().decode("utf-8", errors="replace")
        member = root.relative_to(lock.parent).as_posix() or "."
        updated = set_lock_version(text, project.name, member, version)
        if updated is not None:
            edits.append(FileEdit(rel(lock), text, updated))
        else:
            notes.append(
                f"{rel(lock)} holds no entry for {project.name} at {member}: left as it is "
                "(run `uv lock` if it should)"
            )
    if changelog:
        path = root / changelog
        original = path.read_bytes().decode("utf-8") if path.exists() else None
        edits.append(FileEdit(rel(changelog), original, insert_section(original, section)))
    return edits, notes
