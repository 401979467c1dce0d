"""`qdev sync`: the profile's files rendered again and merged three ways into the repo.

A pipeline of plain steps: find the repo and its state, undo an interrupted sync, refuse a dirty
tree, resolve the profile at the pinned (or a new) ref, settle the variables (asking for new
ones), render theirs, re-render the base from what the state recorded, plan each path by its
policy, and write the plan all or nothing (profile/transaction.py).

Per path: ours is the repo's file, theirs the new render, base the render the repo got last time.
The base is trusted only when its hash is the one the state recorded; without it the merge is
two-way (every difference a conflict, nothing of the repo's lost). Conflicts are left as git
leaves them: markers in the file and the index at stages 1/2/3, so `git status`, `git mergetool`
and editors see them; `git add` marks one resolved.
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qdev.errors import ExitCode, GuardRefused, QdevError, UsageError
from qdev.profile import source, transaction
from qdev.profile import state as state_file
from qdev.profile.merge3 import Labels, Unparseable, format_for, has_markers, merge
from qdev.profile.render import render_inputs
from qdev.profile.source import Migration, Policy, Profile
from qdev.profile.state import FileRecord, ProfileState, RenderInputs, sha256

if TYPE_CHECKING:
    from qdev.config.loader import LoadedConfig

Ask = Callable[[str, str, Sequence[str] | None], str]
"""Asks the user: (question, default, choices or None) -> answer."""


class Action(StrEnum):
    UNCHANGED = "unchanged"
    CREATE = "create"
    """New in the profile."""
    UPDATE = "update"
    """The profile changed it and the repo did not: the profile's version taken."""
    MERGE = "merge"
    """Both changed it: merged cleanly."""
    CONFLICT = "conflict"
    """Both changed the same place: conflict left for the user."""
    KEEP = "keep"
    """Only the repo changed it, or it is the repo's own: left as it is."""
    DELETED = "deleted"
    """The repo deleted it: it stays deleted."""
    REMOVE = "remove"
    """The profile dropped it and the repo never edited it: removed."""
    SKIP = "skip"
    """Not sync's to touch: `once`, `ignored`, or a file of the repo's the profile never wrote."""


@dataclass(frozen=True)
class SyncOptions:
    ref: str | None = None
    """Move the pin to this tag or commit (edits extends.ref in the config file)."""
    set_variables: Mapping[str, str] = field(default_factory=dict)
    """Profile variables set on the command line (--set NAME=VALUE)."""
    restore: tuple[str, ...] = ()
    """Managed files the repo deleted that sync should bring back (--restore PATH)."""


@dataclass(frozen=True)
class FileSync:
    path: str
    policy: Policy
    action: Action
    old: bytes | None
    """The file in the repo now; None when there is none."""
    new: bytes | None
    """The file after the sync; None when there is none."""
    detail: str = ""
    conflicts: tuple[str, ...] = ()
    """Key paths (TOML, YAML) or `line N` (text) of each conflict."""
    stages: tuple[bytes | None, bytes | None, bytes | None] | None = None
    """(base, ours, theirs) for git's index when the file is left in conflict."""

    @property
    def writes(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        return unified_diff(self.path, self.old, self.new)


@dataclass(frozen=True)
class VariableChoice:
    """A variable the profile added since the repo's last sync, and the value it got."""

    name: str
    value: str
    default: str
    asked: bool
    help: str = ""


@dataclass(frozen=True)
class SyncPlan:
    root: Path
    profile: Profile
    previous: ProfileState
    state: ProfileState
    files: tuple[FileSync, ...]
    notes: tuple[Migration, ...] = ()
    variables: tuple[VariableChoice, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def writes(self) -> tuple[FileSync, ...]:
        return tuple(f for f in self.files if f.writes)

    @property
    def conflicts(self) -> tuple[FileSync, ...]:
        return tuple(f for f in self.files if f.action == Action.CONFLICT)

    @property
    def exit_code(self) -> int:
        return int(ExitCode.CHECKS_FAILED if self.conflicts else ExitCode.OK)


def unified_diff(path: str, old: bytes | None, new: bytes | None) -> str:
    if old == new:
        return ""
    label_from = f"a/{path}" if old is not None else "/dev/null"
    label_to = f"b/{path}" if new is not None else "/dev/null"
    before, after = _lines(old or b""), _lines(new or b"")
    if not before and not after:
        return f"--- {label_from}\n+++ {label_to}\n(empty file)\n"
    return "".join(difflib.unified_diff(before, after, label_from, label_to))


def _lines(data: bytes) -> list[str]:
    lines = data.decode("utf-8", errors="replace").splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


# -- the pipeline ----------------------------------------------------------------------------


def plan_sync(
    start: Path,
    options: SyncOptions | None = None,
    ask: Ask | None = None,
    *,
    for_check: bool = False,
) -> SyncPlan:
    """What `qdev sync` would do, decided without writing anything but an undo of a crash.

    `for_check` is `qdev sync --check`'s question: no undo, no dirty-tree guard, and a followed
    branch is taken as the cache has it (no fetch).
    """
    options = options or SyncOptions()
    root = repo_root(start)
    warnings = []
    if not for_check and recover_interrupted(root):
        warnings.append("an interrupted sync was undone; the repo is as it was before it")
    previous = read_state(root)
    if not for_check:
        guard_unmerged(root)
    from qdev.config.loader import load_config

    loaded = load_config(root)
    spec = extends_spec(loaded, options.ref)
    target = target_profile(spec, loaded, refresh=not for_check)
    choices, answers = settle_variables(target, previous, options.set_variables, ask)
    inputs = render_inputs_for(root, loaded, target, spec, choices, answers)
    theirs = as_the_repo_takes_them(render_inputs(target, inputs), root, loaded)
    base, base_warning = base_files(root, previous)
    base = as_the_repo_takes_them(base, root, loaded)
    if base_warning:
        warnings.append(base_warning)
    config_rel = _config_rel(root, loaded)
    _check_restore(options.restore, previous, theirs)
    if not for_check:
        guard_clean(root, previous, target, theirs, config_rel)
    labels = merge_labels(previous, target)
    planner = _Planner(root, previous, target, base, theirs, labels, options.restore)
    files = planner.plan()
    if options.ref is not None and config_rel is not None:
        files = _pin_ref(files, root, config_rel, options.ref, loaded)
    state = ProfileState(
        target.name,
        target.version,
        state_source(target, previous, spec),
        planner.records,
        target.origin.ref if target.origin else None,
        target.origin.commit if target.origin else None,
        inputs,
        answers,
    )
    if not for_check:  # the drift check compares the states themselves, not their TOML
        files.append(_state_entry(root, state))
    notes = tuple(target.notes_between(previous.version, target.version))
    if source.semver_key(target.version) < source.semver_key(previous.version):
        warnings.append(f"the profile goes back from {previous.version} to {target.version}")
    return SyncPlan(
        root, target, previous, state, tuple(files), notes, tuple(choices), tuple(warnings)
    )


def repo_root(start: Path) -> Path:
    from qdev.tools import git

    start = start.resolve()
    if not start.exists():
        raise UsageError(f"{start} does not exist", fix="run qdev sync inside the repo")
    root = git.toplevel(start)
    if root is None:
        raise UsageError(
            f"{start} is not inside a git repository: qdev sync leaves conflicts to git",
            fix="run it in the repo's work tree (git init and commit first if it has none)",
        )
    return root


def recover_interrupted(root: Path) -> bool:
    from qdev.release.journal import find_git_dir

    git_dir = find_git_dir(root)
    return git_dir is not None and transaction.recover(root, git_dir)


def read_state(root: Path) -> ProfileState:
    previous = state_file.read(root)
    if previous is None:
        raise UsageError(
            f"{root} has no {state_file.STATE_FILE}: it was not made or adopted by qdev init",
            fix="run `qdev init` in it first (it adopts an existing repo)",
        )
    return previous


def extends_spec(loaded: LoadedConfig, new_ref: str | None) -> dict[str, str]:
    extends = loaded.config.extends
    spec = {} if extends is None else extends.model_dump(exclude_none=True)
    if new_ref is not None:
        if "git" not in spec:
            raise UsageError(
                "--ref moves the pin of a git profile, and this repo's profile is not one",
                fix='name one in qdev.toml: extends = {git = "URL", ref = "v1.0.0"}',
            )
        spec.pop("branch", None)
        spec["ref"] = new_ref
    return spec


def target_profile(spec: Mapping[str, str], loaded: LoadedConfig, *, refresh: bool) -> Profile:
    where = loaded.config_file.parent if loaded.config_file else loaded.root
    return source.from_extends(spec, relative_to=where, refresh=refresh)


def settle_variables(
    target: Profile, previous: ProfileState, given: Mapping[str, str], ask: Ask | None
) -> tuple[list[VariableChoice], dict[str, str]]:
    """(the new variables and what they got, the repo's own answers to record)."""
    unknown = sorted(set(given) - set(target.variables))
    if unknown:
        listed = ", ".join(sorted(target.variables)) or "none"
        raise UsageError(
            f"--set {unknown[0]}: the profile has no such variable (it has: {listed})",
            fix="check the name in the profile's profile.toml [variables]",
        )
    known = set(previous.inputs.variables) if previous.inputs else set(target.variables)
    answers = {k: v for k, v in previous.answers.items() if k in target.variables}
    choices = []
    for name, default in target.variables.items():
        if name in given:
            answers[name] = given[name]
        elif name not in known and name not in answers:
            question = target.variable_help.get(name) or f"Value of the profile's new {name}"
            value = ask(question, default, None) if ask is not None else default
            if value != default:
                answers[name] = value
            choices.append(
                VariableChoice(
                    name, value, default, ask is not None, target.variable_help.get(name, "")
                )
            )
    return choices, answers


def render_inputs_for(
    root: Path,
    loaded: LoadedConfig,
    target: Profile,
    spec: Mapping[str, str],
    choices: Sequence[VariableChoice],
    answers: Mapping[str, str],
) -> RenderInputs:
    """The kind, CI provider and variables the repo's config gives the templates now."""
    import tomllib

    from qdev.ci.pipeline import default_branch
    from qdev.project import names
    from qdev.project.settings import Settings, default_interpreter, variables

    config = loaded.config
    pyproject = root / "pyproject.toml"
    pyproject_name = None
    if pyproject.is_file():
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
            pyproject_name = project.get("name") if isinstance(project, dict) else None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            pyproject_name = None
    dist, package = names.validate(config.project.name or pyproject_name or root.name)
    python = tuple(sorted(config.project.python, key=lambda v: tuple(int(p) for p in v.split("."))))
    values = {**target.variables, **answers}
    settings = Settings(
        root,
        dist,
        package,
        config.project.kind.value,
        python,
        config.ci.provider,
        tuple(config.ci.python) if config.ci.python else python,
        config.check.coverage,
        replace(target, variables=values),
        extends_lines(target, spec),
        python_default=default_interpreter(python, target),
        default_branch=default_branch(root, config.release.branch),
    )
    return RenderInputs(settings.kind, settings.ci_provider, variables(settings))


def extends_lines(target: Profile, spec: Mapping[str, str]) -> str:
    """The [extends] lines `qdev init` writes for this profile: the `{{ extends }}` variable."""
    import tomlkit

    if target.origin is not None:
        return source.git_extends_lines(target.origin)
    if "path" in spec:
        return f"path = {tomlkit.string(spec['path']).as_string()}"
    return f"name = {tomlkit.string(spec.get('name', target.root.name)).as_string()}"


def state_source(target: Profile, previous: ProfileState, spec: Mapping[str, str]) -> str:
    if target.builtin:
        return "builtin"
    if target.origin is not None:
        return target.origin.url
    return spec.get("path", previous.source)


def base_files(root: Path, previous: ProfileState) -> tuple[dict[str, bytes], str | None]:
    """The files as the profile rendered them last time, re-rendered from the state's record.

    Each is trusted only where its hash matches the record (the planner checks). None of them
    when the state predates `qdev sync` or the recorded profile cannot be had any more.
    """
    if previous.inputs is None:
        return {}, None
    try:
        if previous.source == "builtin":
            profile = source.builtin(previous.profile)
        elif previous.commit is not None:
            profile = source.at_commit(previous.source, previous.commit, relative_to=root)
        else:
            profile = source.from_folder(root / previous.source)
        return render_inputs(profile, previous.inputs), None
    except QdevError as exc:
        return {}, (
            f"the profile's last render cannot be re-made ({exc.message}); "
            "files both sides changed are merged two ways"
        )


def as_the_repo_takes_them(
    files: Mapping[str, bytes], root: Path, loaded: LoadedConfig
) -> dict[str, bytes]:
    """The rendered files shaped as `qdev init` shaped them for this repo.

    A repo configured in [tool.qdev] gets the profile's qdev.toml inside its pyproject.toml; a
    pyproject.toml without [build-system] (the repo is not built) gets none.
    """
    from qdev.profile.render import RenderedFile
    from qdev.project.init import config_into_pyproject, without_build_system

    rendered = [RenderedFile(path, data) for path, data in files.items()]
    if loaded.config_file is not None and loaded.config_file.name == "pyproject.toml":
        rendered = config_into_pyproject(rendered)
    if _unpackaged(root / "pyproject.toml"):
        rendered = without_build_system(rendered)
    return {item.path: item.content for item in rendered}


def _unpackaged(pyproject: Path) -> bool:
    import tomllib

    try:
        return "build-system" not in tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def _config_rel(root: Path, loaded: LoadedConfig) -> str | None:
    if loaded.config_file is None:
        return None
    try:
        return loaded.config_file.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def guard_unmerged(root: Path) -> None:
    """Refuse (exit 4) while the conflicts of a sync or a git merge are not resolved."""
    from qdev.tools import git

    unmerged = sorted(git.unmerged_paths(root))
    if unmerged:
        raise GuardRefused(
            f"conflicts are not resolved yet: {', '.join(unmerged)}",
            fix="edit each file, `git add` it, commit, then run qdev sync again",
        )


def guard_clean(
    root: Path,
    previous: ProfileState,
    target: Profile,
    theirs: Mapping[str, bytes],
    config_rel: str | None,
) -> None:
    """Refuse (exit 4) when a path sync may write has changes git does not hold yet."""
    from qdev.tools import git

    codes = git.status_codes(root)
    managed = {path for path in {*theirs, *previous.files} if target.policy(path) != Policy.ONCE}
    managed.add(state_file.STATE_FILE)
    if config_rel:
        managed.add(config_rel)
    # An untracked file where the profile now renders one is the user's: left alone, not dirty.
    dirty = sorted(
        p
        for p in managed
        if p in codes
        and not (codes[p] == "??" and p not in previous.files and p != state_file.STATE_FILE)
    )
    if dirty:
        raise GuardRefused(
            f"uncommitted changes in files qdev sync manages: {', '.join(dirty)}",
            fix="commit or stash them first (`git stash`); changes in other files may stay",
        )


def _check_restore(
    paths: Sequence[str], previous: ProfileState, theirs: Mapping[str, bytes]
) -> None:
    for path in paths:
        if path not in theirs:
            raise UsageError(
                f"--restore {path}: the profile renders no such file",
                fix="name a path as `qdev sync --dry-run -v` lists it",
            )


def merge_labels(previous: ProfileState, target: Profile) -> Labels:
    def label(version: str, ref: str | None) -> str:
        return f"profile {version}" + (f" ({ref})" if ref else "")

    ref = target.origin.ref if target.origin else None
    return Labels("this repo", label(previous.version, previous.ref), label(target.version, ref))


# -- per path --------------------------------------------------------------------------------


class _Planner:
    def __init__(
        self,
        root: Path,
        previous: ProfileState,
        target: Profile,
        base: Mapping[str, bytes],
        theirs: Mapping[str, bytes],
        labels: Labels,
        restore: Sequence[str] = (),
    ) -> None:
        self.restore = set(restore)
        self.root = root
        self.previous = previous
        self.target = target
        self.base = base
        self.theirs = theirs
        self.labels = labels
        self.records: dict[str, FileRecord] = {}

    def plan(self) -> list[FileSync]:
        from qdev.tools import git

        fresh = [
            p for p in self.theirs if p not in self.previous.files and self._ours(p) is not None
        ]
        codes = git.status_codes(self.root) if fresh else {}
        self.untouchable = {p for p in fresh if codes.get(p) == "??"}
        self.untouchable |= git.ignored_paths(self.root, fresh)
        planned: list[FileSync | None] = [self.plan_path(path) for path in sorted(self.theirs)]
        planned += [
            self.plan_dropped(path)
            for path in sorted(self.previous.files)
            if path not in self.theirs
        ]
        return [entry for entry in planned if entry is not None]

    def _ours(self, path: str) -> bytes | None:
        target = self.root / path
        return target.read_bytes() if target.is_file() else None

    def plan_path(self, path: str) -> FileSync:
        policy = self.target.policy(path)
        theirs = self.theirs[path]
        ours = self._ours(path)
        record = self.previous.files.get(path)
        if ours is None:
            return self.plan_missing(path, policy, theirs, record)
        if record is None or record.deleted:
            return self.plan_unrecorded(path, policy, ours, theirs)
        if policy == Policy.ONCE:
            self.records[path] = record
            return FileSync(path, policy, Action.SKIP, ours, ours, "written once, never synced")
        if record.written is None:
            self.records[path] = FileRecord(sha256(theirs))
            return FileSync(path, policy, Action.SKIP, ours, ours, "the repo's own (kept at init)")
        if ours == theirs:
            self.records[path] = FileRecord(sha256(theirs), sha256(ours))
            return FileSync(path, policy, Action.UNCHANGED, ours, ours)
        base = self.base_of(path, record, ours, theirs)
        return self.plan_merge(path, policy, base, ours, theirs)

    def base_of(self, path: str, record: FileRecord, ours: bytes, theirs: bytes) -> bytes | None:
        for candidate in (theirs, self.base.get(path), ours):
            if candidate is not None and sha256(candidate) == record.template:
                return candidate
        return None

    def plan_missing(
        self, path: str, policy: Policy, theirs: bytes, record: FileRecord | None
    ) -> FileSync:
        if path in self.restore:
            self.records[path] = FileRecord(sha256(theirs), sha256(theirs))
            return FileSync(path, policy, Action.CREATE, None, theirs, "restored (--restore)")
        if record is None:
            if path in self.base or (policy == Policy.ONCE and not self.base):
                # The profile had it before and the repo never took it (init leaves an adopted
                # repo's own code alone): not new, so not added now.
                return FileSync(path, policy, Action.SKIP, None, None, "not taken by this repo")
            self.records[path] = FileRecord(sha256(theirs), sha256(theirs))
            return FileSync(path, policy, Action.CREATE, None, theirs, "new in the profile")
        if policy == Policy.ONCE:
            self.records[path] = record
            return FileSync(path, policy, Action.SKIP, None, None, "written once, never synced")
        self.records[path] = FileRecord(sha256(theirs), deleted=True)
        detail = "deleted in this repo; stays deleted" + (
            "" if record.deleted else f" (`qdev sync --restore {path}` brings it back)"
        )
        return FileSync(path, policy, Action.DELETED, None, None, detail)

    def plan_unrecorded(self, path: str, policy: Policy, ours: bytes, theirs: bytes) -> FileSync:
        if path in self.untouchable:
            return FileSync(
                path,
                policy,
                Action.SKIP,
                ours,
                ours,
                "the repo's untracked or ignored file; not touched",
            )
        written = sha256(ours) if ours == theirs else None
        self.records[path] = FileRecord(sha256(theirs), written)
        if ours == theirs:
            return FileSync(path, policy, Action.UNCHANGED, ours, ours)
        return FileSync(
            path,
            policy,
            Action.KEEP,
            ours,
            ours,
            "the repo's own file differs from the profile's; kept",
        )

    def plan_merge(
        self, path: str, policy: Policy, base: bytes | None, ours: bytes, theirs: bytes
    ) -> FileSync:
        if base == ours:
            self.records[path] = FileRecord(sha256(theirs), sha256(theirs))
            return FileSync(path, policy, Action.UPDATE, ours, theirs, "the profile's change")
        if base == theirs:
            self.records[path] = FileRecord(sha256(theirs), sha256(ours))
            return FileSync(
                path, policy, Action.KEEP, ours, ours, "local edits; the profile did not change it"
            )
        merged, conflicts = merge_bytes(path, base, ours, theirs, self.labels)
        two_way = "" if base is not None else " (two-way: the profile's last render is unknown)"
        if not conflicts:
            self.records[path] = FileRecord(sha256(theirs), sha256(merged))
            return FileSync(
                path,
                policy,
                Action.MERGE,
                ours,
                merged,
                "local edits and the profile's change" + two_way,
            )
        self.records[path] = FileRecord(sha256(theirs), sha256(merged), conflict=True)
        return FileSync(
            path,
            policy,
            Action.CONFLICT,
            ours,
            merged,
            f"{len(conflicts)} conflict{'s' * (len(conflicts) != 1)}{two_way}",
            tuple(conflicts),
            (base, ours, theirs),
        )

    def plan_dropped(self, path: str) -> FileSync | None:
        """A path the previous render had and this one does not."""
        record = self.previous.files[path]
        ours = self._ours(path)
        policy = self.target.policy(path)
        if ours is None:
            return None
        if policy == Policy.IGNORED:
            return FileSync(
                path, policy, Action.SKIP, ours, ours, "the profile ignores it now; left as it is"
            )
        unedited = sha256(ours) in {record.written, record.template}
        if policy == Policy.ONCE or record.written is None or not unedited:
            return FileSync(
                path,
                policy,
                Action.KEEP,
                ours,
                ours,
                "no longer in the profile; kept (edited or the repo's own)",
            )
        return FileSync(path, policy, Action.REMOVE, ours, None, "no longer in the profile")


def merge_bytes(
    path: str, base: bytes | None, ours: bytes, theirs: bytes, labels: Labels
) -> tuple[bytes, list[str]]:
    """The merged file and its conflicts: key paths for TOML and YAML, `line N` for text."""
    try:
        base_text = base.decode("utf-8") if base is not None else None
        ours_text, theirs_text = ours.decode("utf-8"), theirs.decode("utf-8")
    except UnicodeDecodeError:
        return ours, ["a binary file changed on both sides"]
    fmt_type = format_for(path)
    if fmt_type is not None:
        from qdev.profile.merge3 import YamlFormat

        fmt = YamlFormat.for_text(ours_text) if fmt_type is YamlFormat else fmt_type()
        try:
            result = merge(fmt, base_text, ours_text, theirs_text, labels)
            return result.marked.encode("utf-8"), [c.key for c in result.conflicts]
        except Unparseable:
            pass  # a side that does not parse is merged as plain text
    return merge_text(base or b"", ours, theirs, labels)


def merge_text(base: bytes, ours: bytes, theirs: bytes, labels: Labels) -> tuple[bytes, list[str]]:
    from qdev.tools import git

    with tempfile.TemporaryDirectory(prefix="qdev-merge-") as folder:
        paths = [Path(folder) / name for name in ("ours", "base", "theirs")]
        for path, data in zip(paths, (ours, base, theirs), strict=True):
            path.write_bytes(data)
        git.merge_file(paths[0], paths[1], paths[2], (labels.ours, labels.base, labels.theirs))
        merged = paths[0].read_bytes()
    lines = merged.decode("utf-8", errors="replace").splitlines()
    where = [f"line {n}" for n, line in enumerate(lines, start=1) if line.startswith("<<<<<<< ")]
    return merged, where


def _pin_ref(
    files: list[FileSync], root: Path, config_rel: str, ref: str, loaded: LoadedConfig
) -> list[FileSync]:
    """Set extends.ref in the config file, on top of whatever the merge made of it."""
    by_path = {f.path: f for f in files}
    entry = by_path.get(config_rel)
    current = entry.new if entry is not None else (root / config_rel).read_bytes()
    if current is None or has_markers(current.decode("utf-8", errors="replace")):
        return files
    pinned = _with_ref(
        current.decode("utf-8"), ref, in_pyproject=config_rel.endswith("pyproject.toml")
    )
    if pinned == current:
        return files
    if entry is None:
        return [
            *files,
            FileSync(
                config_rel,
                Policy.MERGED,
                Action.UPDATE,
                current,
                pinned,
                f"pins the profile at {ref}",
            ),
        ]
    action = (
        entry.action
        if entry.action in (Action.MERGE, Action.UPDATE, Action.CREATE)
        else Action.MERGE
    )
    return [replace(f, new=pinned, action=action) if f.path == config_rel else f for f in files]


def _with_ref(text: str, ref: str, *, in_pyproject: bool) -> bytes:
    import tomlkit

    doc = tomlkit.parse(text)
    table: Any = doc
    if in_pyproject:
        table = table["tool"]["qdev"]
    extends = table["extends"]
    if "branch" in extends:
        del extends["branch"]
    extends["ref"] = ref
    return tomlkit.dumps(doc).encode("utf-8")


def _state_entry(root: Path, state: ProfileState) -> FileSync:
    path = state_file.STATE_FILE
    target = root / path
    old = target.read_bytes() if target.is_file() else None
    new = state_file.dumps(state).encode("utf-8")
    action = Action.UNCHANGED if old == new else Action.UPDATE
    return FileSync(path, Policy.MANAGED, action, old, new, "what the profile rendered")


# -- writing ---------------------------------------------------------------------------------


def apply_sync(plan: SyncPlan) -> None:
    """Write the plan all or nothing, then leave conflicts in git's index."""
    from qdev.release.journal import find_git_dir
    from qdev.tools import git

    writes = plan.writes
    if not writes:
        return
    git_dir = find_git_dir(plan.root)
    assert git_dir is not None  # plan_sync found the repo
    stages = {f.path: _store_stages(plan.root, f) for f in writes if f.stages is not None}
    try:
        with transaction.transaction(plan.root, git_dir, [f.path for f in writes]) as tx:
            for item in writes:
                if item.new is None:
                    tx.remove(item.path)
                else:
                    tx.write(item.path, item.new)
            for path, (mode, blobs) in stages.items():
                tx.index_changed()
                git.mark_unmerged(plan.root, path, blobs, mode)
    except OSError as exc:
        raise UsageError(
            f"cannot write {exc.filename or plan.root}: {exc.strerror}; nothing was changed",
            fix="fix the folder's permissions or free some space, then run qdev sync again",
        ) from exc


def _store_stages(root: Path, item: FileSync) -> tuple[str, dict[int, str]]:
    from qdev.tools import git

    assert item.stages is not None
    mode = git.index_mode(root, item.path) or "100644"
    blobs = {
        stage: git.store_blob(root, item.path, data)
        for stage, data in enumerate(item.stages, start=1)
        if data is not None
    }
    return mode, blobs


def sync(start: Path, options: SyncOptions | None = None, ask: Ask | None = None) -> SyncPlan:
    plan = plan_sync(start, options, ask)
    apply_sync(plan)
    return plan
