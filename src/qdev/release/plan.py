"""From the repository, the config and the request to a ReleasePlan: every guard is checked and
every file's new text is computed here, in memory, before the transaction writes anything."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from qdev.errors import ConfigError, GuardRefused, UsageError
from qdev.release import guards, schemes
from qdev.release.changelog import insert_section, render_section, web_url
from qdev.release.commits import Commit, bump_for, parse_records
from qdev.release.journal import FileEdit, Journal
from qdev.release.version_files import ProjectVersion, planned_edits, read_project
from qdev.tools import git as gitops

if TYPE_CHECKING:
    import git

    from qdev.config.models import QdevConfig

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
            "changelog": self.changelog_section,
            "branch": self.branch,
            "remote": self.remote,
            "push": self.push,
            "publish": self.publish,
            "publish_url": self.publish_url,
            "checks": self.checks,
            "steps": self.steps,
            "notes": self.notes,
        }


def tag_pattern(tag_format: str) -> re.Pattern[str]:
    head, _, tail = tag_format.partition("{version}")
    return re.compile(f"^{re.escape(head)}(?P<version>.+){re.escape(tail)}$")


def last_release_tag(repo: git.Repo, tag_format: str) -> tuple[str, Version] | None:
    """The tag of the greatest version reachable from HEAD, among tags that fit the format.

    Tags are ranked by version first and checked for reachability from the top down, which
    usually takes one ancestry test instead of a walk of the whole history for every tag.
    """
    pattern = tag_pattern(tag_format)
    ranked: list[tuple[Version, str]] = []
    for name in gitops.tag_names(repo):
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


def resolve_publish(config: QdevConfig) -> tuple[str | None, str | None]:
    """(upload URL, index URL to check for files already there) of release.publish_index."""
    target = config.release.publish_index
    if not target:
        raise ConfigError(
            ["release.publish is on, but release.publish_index names no index"],
            fix="set release.publish_index to an upload URL or a name from [env.indexes]",
        )
    if target in config.env.indexes:
        simple = config.env.indexes[target]
        upload = re.sub(r"simple/?$", "", simple)
        url, check = upload, simple
    elif re.match(r"^https?://", target):
        url, check = target, None
    else:
        known = ", ".join(config.env.indexes) or "none"
        raise ConfigError(
            [f'release.publish_index "{target}" is not a URL nor one of env.indexes ({known})'],
            fix="name an index from env.indexes, or give its upload URL",
        )
    if re.match(r"^https?://[^/@]+@", url):
        raise ConfigError(
            [f"release.publish_index {target}: the URL holds credentials, in a file in the repo"],
            fix="remove them from the URL; set UV_PUBLISH_TOKEN (or UV_PUBLISH_USERNAME and "
            "UV_PUBLISH_PASSWORD) in the environment, or use a keyring",
        )
    return url, check


def make_plan(root: Path, config: QdevConfig, request: ReleaseRequest) -> ReleasePlan:
    """Check the guards and compute the release; raise GuardRefused, UsageError or ConfigError."""
    settings = config.release
    repo = gitops.open_repo(root)
    project_root = root.resolve()
    root = Path(repo.working_tree_dir or root).resolve()
    today = request.today or date.today()
    guards.no_release_in_progress(repo)
    guards.clean_tree(repo)
    guards.on_branch(repo, settings.branch)
    saved_head = gitops.head_commit(repo)
    if saved_head is None:
        raise UsageError("the repository has no commits yet", fix="commit the project first")

    project = read_project(project_root)
    last = last_release_tag(repo, settings.tag_format)
    previous_tag = last[0] if last else None
    records = gitops.log_records(repo, f"{previous_tag}..HEAD" if previous_tag else "HEAD")
    commits = parse_records(records)
    guards.commits_since(previous_tag, len(commits))

    current = project.version or (str(last[1]) if last else "0.0.0")
    bump, version = _new_version(
        settings.scheme, settings.calver_format, current, commits, request, today
    )
    guards.version_greater(version, current, first_release=previous_tag is None)
    tag = settings.tag_format.format(version=version)
    guards.tag_absent(repo, tag)

    push = settings.push if request.push is None else request.push
    publish = settings.publish if request.publish is None else request.publish
    remote = gitops.upstream_remote(repo, settings.branch)
    notes = guards.remote_ready(repo, remote, settings.branch, tag, push=push)
    publish_url, check_url = resolve_publish(config) if publish else (None, None)

    checks = _checks(project_root, request)
    link = web_url(gitops.remote_url(repo, remote)) if remote else None
    section = render_section(version, today, commits, link=link)
    edits = _edits(
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
        branch=settings.branch,
        remote=remote,
        push=push,
        publish=publish,
        publish_url=publish_url,
        check_url=check_url,
        sign=settings.sign,
        checks=checks,
        steps=[step for step in ALL_STEPS if not skipped.get(step)],
        saved_head=saved_head,
        notes=notes,
    )


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
) -> list[FileEdit]:
    """Each edit's path is relative to the git root: the project may live in a subfolder."""

    def rel(name: str) -> str:
        return (root / name).relative_to(git_root).as_posix()

    edits = [
        FileEdit(rel(path), original, new)
        for path, (original, new) in planned_edits(root, project, version, version_files).items()
    ]
    if changelog:
        path = root / changelog
        original = path.read_bytes().decode("utf-8") if path.exists() else None
        edits.append(FileEdit(rel(changelog), original, insert_section(original, section)))
    return edits
