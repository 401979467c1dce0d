"""The pipeline of a repo: the profile's `ci-<provider>/` templates rendered with the repo's
values, compared with what is on disk, and written without losing anyone's edits.

A pipeline file qdev wrote before (its hash is in `.qdev/state.toml`) is rewritten freely; a
file with edits qdev did not make is left alone unless `force`, which keeps a backup.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from qdev.ci.install import InstallSource, install_source, missing_source_message
from qdev.errors import GuardRefused, UsageError
from qdev.profile.render import RenderedFile, render_profile, render_text
from qdev.profile.source import TEMPLATES_DIR, Profile
from qdev.project.settings import CI_PROVIDERS, Settings

BACKUP_SUFFIX = ".qdev-backup"


class Change(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    """--force over a file with edits qdev did not make; the old file is kept as a backup."""
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Pipeline:
    root: Path
    provider: str
    default_branch: str
    python: tuple[str, ...]
    source: InstallSource
    profile: Profile
    files: tuple[RenderedFile, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedFile:
    path: str
    change: Change
    old: bytes | None
    new: bytes

    def diff(self) -> str:
        if self.change is Change.UNCHANGED:
            return ""
        before = (self.old or b"").decode("utf-8", errors="replace").splitlines(keepends=True)
        after = self.new.decode("utf-8", errors="replace").splitlines(keepends=True)
        label = f"a/{self.path}" if self.old is not None else "/dev/null"
        return "".join(difflib.unified_diff(before, after, label, f"b/{self.path}"))


def layer(provider: str) -> str:
    return f"ci-{provider}"


def pipeline_paths(profile: Profile, provider: str, variables: Mapping[str, str]) -> set[str]:
    """The repo paths the profile's CI layer renders (its templates' names, placeholders filled)."""
    folder = profile.templates / layer(provider)
    if not folder.is_dir():
        return set()
    return {
        render_text(
            path.relative_to(folder).as_posix().removesuffix(".tmpl"), variables, where=str(path)
        )
        for path in folder.rglob("*")
        if path.is_file()
    }


def unready_paths(profile: Profile, provider: str, variables: Mapping[str, str]) -> set[str]:
    """The pipeline files to leave out: all of them while the profile does not say where CI
    installs qdev from (`qdev init` and `qdev sync` never write a pipeline that cannot work)."""
    if install_source(variables) is not None:
        return set()
    return pipeline_paths(profile, provider, variables)


def without_unready_pipeline(
    rendered: list[RenderedFile], settings: Settings, variables: Mapping[str, str]
) -> tuple[list[RenderedFile], str | None]:
    """`qdev init`'s files less an unready pipeline, with the note that says so and the fix."""
    paths = unready_paths(settings.profile, settings.ci_provider, variables)
    if not paths:
        return rendered, None
    message, fix = missing_source_message(settings.profile)
    return [item for item in rendered if item.path not in paths], f"{message}.\n  fix: {fix}"


def default_branch(root: Path, release_branch: str | None = None) -> str:
    """The branch CI runs on: origin's HEAD, else main or master, else the current branch;
    outside git, the release branch (else main)."""
    from qdev.project.facts import read_facts

    return read_facts(root).default_branch or release_branch or "main"


def repo_settings(root: Path, provider: str | None) -> tuple[Settings, tuple[str, ...]]:
    """The repo's settings as `qdev init` would settle them, with its real default branch, and
    what CI needs that it may lack."""
    from qdev.project.existing import read_existing
    from qdev.project.settings import InitOptions, resolve_settings

    if provider is not None and provider not in CI_PROVIDERS:
        raise UsageError(
            f'unknown CI provider "{provider}"', fix=f"use one of: {', '.join(CI_PROVIDERS)}"
        )
    existing = read_existing(root)
    settings = resolve_settings(InitOptions(root, ci_provider=provider), root, existing, None)
    branch = default_branch(root, existing.config.release.branch if existing.config else None)
    extends = existing.config.extends if existing.config else None
    notes: tuple[str, ...] = ()
    if extends is not None and extends.path and not _inside(root, root / extends.path):
        notes = (
            f"note: the team profile is a folder outside the repo ({extends.path}): CI's clone "
            "of the repo will not have it; name the profile by git URL and ref (extends.git) "
            "or keep it inside the repo",
        )
    return replace(settings, default_branch=branch), notes


def _inside(root: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def render_pipeline(root: Path, provider: str | None = None) -> Pipeline:
    from qdev.project.settings import variables

    settings, notes = repo_settings(root, provider)
    values = variables(settings)
    profile = settings.profile
    source = install_source(values)
    if source is None:
        message, fix = missing_source_message(profile)
        raise UsageError(message, fix=fix)
    paths = pipeline_paths(profile, settings.ci_provider, values)
    if not paths:
        folder = profile.templates / layer(settings.ci_provider)
        raise UsageError(
            f"profile {profile.label} has no {settings.ci_provider} pipeline templates",
            fix=f"add them under {folder} (see {TEMPLATES_DIR}/ci-github in qdev's built-in one)",
        )
    rendered = render_profile(profile, settings.kind, settings.ci_provider, values)
    files = tuple(item for item in rendered if item.path in paths)
    return Pipeline(
        root,
        settings.ci_provider,
        settings.default_branch,
        settings.ci_python,
        source,
        profile,
        files,
        notes,
    )


def plan_pipeline(pipeline: Pipeline, *, force: bool = False) -> tuple[PlannedFile, ...]:
    from qdev.profile import state as profile_state

    recorded = profile_state.read(pipeline.root)
    records = recorded.files if recorded else {}
    planned = []
    for item in pipeline.files:
        target = pipeline.root / item.path
        old = target.read_bytes() if target.is_file() else None
        if old is None:
            change = Change.CREATE
        elif old == item.content:
            change = Change.UNCHANGED
        elif (record := records.get(item.path)) and record.written == profile_state.sha256(old):
            change = Change.UPDATE
        elif force:
            change = Change.REPLACE
        else:
            raise GuardRefused(
                f"{target} has edits qdev did not make; it was left as it is",
                fix="`qdev ci --dry-run` shows the difference; `qdev ci --force` replaces the "
                f"file and keeps yours as {item.path}{BACKUP_SUFFIX}",
            )
        planned.append(PlannedFile(item.path, change, old, item.content))
    return tuple(planned)


def write_pipeline(pipeline: Pipeline, planned: tuple[PlannedFile, ...]) -> None:
    """Write the planned files and record them in .qdev/state.toml; all of it or none."""
    from qdev.fileio import write_atomic
    from qdev.profile import state as profile_state

    root = pipeline.root
    writes = [item for item in planned if item.change is not Change.UNCHANGED]
    recorded = profile_state.read(root)
    undo: list[tuple[Path, bytes | None]] = []
    try:
        for item in writes:
            target = root / item.path
            if item.change is Change.REPLACE and item.old is not None:
                backup = target.with_name(target.name + BACKUP_SUFFIX)
                undo.append((backup, backup.read_bytes() if backup.is_file() else None))
                write_atomic(backup, item.old)
            undo.append((target, item.old))
            write_atomic(target, item.new)
        if recorded is not None and writes:
            state_path = root / profile_state.STATE_FILE
            undo.append((state_path, state_path.read_bytes()))
            for item in planned:
                digest = profile_state.sha256(item.new)
                recorded.files[item.path] = profile_state.FileRecord(digest, digest)
            write_atomic(state_path, profile_state.dumps(recorded))
    except BaseException:
        for path, old in reversed(undo):
            if old is None:
                path.unlink(missing_ok=True)
            else:
                write_atomic(path, old)
        raise
