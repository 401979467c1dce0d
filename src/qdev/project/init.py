"""`qdev init`: a new repo of a kind from the team profile, or an existing repo adopted.

The run is a pipeline: settle the settings (flags, the repo's own config, prompts, the
profile's defaults), render the profile, plan what changes on disk, then (unless dry-run)
write it all or nothing, `git init`, bootstrap the environment and optionally commit.

Fault injection for tests: QDEV_INIT_FAIL_AT="<step>[:action]" with step `write`, `git` or
`env` (each checked right after that step did its work) and action `fail` (raise) or `term`
(SIGTERM to this process, as a CI runner cancelling or Ctrl-C would).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qdev.ci.pipeline import without_unready_pipeline
from qdev.errors import QdevError, UsageError
from qdev.profile.apply import (
    Action,
    Exact,
    Journal,
    Plan,
    apply_plan,
    check_writable,
    plan_files,
    undo_on_error,
)
from qdev.profile.render import RenderedFile, render_profile
from qdev.profile.state import RenderInputs
from qdev.project.existing import ExistingRepo, read_existing
from qdev.project.facts import RepoFacts, read_facts
from qdev.project.settings import (
    Adopted,
    Ask,
    InitOptions,
    Settings,
    resolve_settings,
    variables,
)

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable
    from concurrent.futures import Future

    from qdev.environment import EnvReport
    from qdev.project.proof import Wheel

__all__ = ["InitOptions", "InitResult", "init_project"]

FAULT_ENV = "QDEV_INIT_FAIL_AT"


@dataclass
class InitResult:
    settings: Settings
    plan: Plan
    notes: list[str] = field(default_factory=list)
    commit: str | None = None
    facts: RepoFacts | None = None
    """The repo's facts when an existing repo was adopted; None for a new repo."""
    proof: str | None = None
    """How the adoption proved itself (the wheel built before and after), when it did."""


def init_project(
    options: InitOptions, ask: Ask | None = None, meanwhile: Callable[[], object] | None = None
) -> InitResult:
    """Make or adopt the repo `options` describe; `ask` prompts for what is missing.

    `meanwhile` is work of the caller's that can wait for no one (the CLI loads what prints
    the result): it runs in a thread while `uv sync` does, and its errors are left to the
    caller's own later use of the same thing."""
    root = _target(options.path)
    facts = _read_facts(root)
    existing = read_existing(root)
    adopting = facts is not None and _is_adoption(facts, existing, options)
    migrating = adopting and facts is not None and facts.migration is not None
    if options.dry_run:
        if migrating and facts is not None:
            return _dry_run_migration(options, ask, root, facts)
        return _plan(options, ask, root, existing, facts if adopting else None)
    check_writable(root)
    journal = Journal()
    journal.remember(root)
    with undo_on_error(journal):
        # Every failure or interrupt from here puts the folder back as it was; only a failing
        # environment bootstrap (below) keeps the written files, and says so.
        before = None
        migrated = None
        if migrating and facts is not None:
            from qdev.project import migrate, proof

            before = proof.wheel_before(root, facts)
            migrated = migrate.run(root, facts, journal)
            facts, existing = read_facts(root), read_existing(root)
        result = _plan(options, ask, root, existing, facts if adopting else None)
        if migrated:
            result.notes.insert(0, migrated)
        if result.facts is not None and (result.plan.writes or migrated):
            result = _prove(options, ask, root, existing, result, before)
        apply_plan(result.plan, journal)
        _inject("write")
        _repo_and_env(root, journal, result, options, meanwhile)
    if options.commit:
        result.commit = _commit(root, result.settings, result.plan)
        if result.commit is None:
            result.notes.append("git: nothing to commit, the repo already has every file")
    return result


def _is_adoption(facts: RepoFacts, existing: ExistingRepo, options: InitOptions) -> bool:
    """Whether init adopts the project in the folder, after refusing a migration not asked for.

    Only for a folder that exists: adopt.py (with tomlkit and packaging) loads only then."""
    from qdev.project import adopt

    if not adopt.is_adoption(facts, existing):
        return False
    if facts.migration is not None:
        adopt.refuse_migration(facts, allowed=options.migrate)
    return True


def _dry_run_migration(
    options: InitOptions, ask: Ask | None, root: Path, facts: RepoFacts
) -> InitResult:
    """--dry-run --migrate: the migration and the adoption after it, done in a scratch copy."""
    import shutil
    import tempfile

    from qdev.project import migrate

    with tempfile.TemporaryDirectory(prefix="qdev-migrate-") as tmp:
        copy = Path(tmp) / root.name
        shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
        note = migrate.run(copy, facts, Journal())
        migrated = (copy / "pyproject.toml").read_bytes()
        result = _plan(options, ask, copy, read_existing(copy), read_facts(copy))
    from qdev.profile.apply import Action, PlannedFile

    original = (root / "pyproject.toml").read_bytes()
    files = [PlannedFile("pyproject.toml", Action.MERGE, original, migrated, note)]
    for item in result.plan.files:
        if item.path == "pyproject.toml":
            item = PlannedFile(item.path, item.action, original, item.new, item.detail)
        files = [f for f in files if f.path != item.path] + [item]
    result.plan = Plan(root, tuple(files), result.plan.state)
    result.settings = dataclasses.replace(result.settings, root=root)
    result.notes.insert(0, note)
    return result


def _inject(step: str) -> None:
    import os

    wanted = os.environ.get(FAULT_ENV, "")
    name, _, action = wanted.partition(":")
    if name != step:
        return
    if action == "term":
        import signal
        import time

        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler interrupts this sleep
    raise QdevError(f"injected failure ({FAULT_ENV}={wanted})")


def _prove(
    options: InitOptions,
    ask: Ask | None,
    root: Path,
    existing: ExistingRepo,
    result: InitResult,
    before: Wheel | str | None = None,
) -> InitResult:
    """Prove the adoption; files qdev adds that the build would ship are left out, and said so."""
    from qdev.project import proof

    facts = result.facts
    assert facts is not None
    if before is None:  # built once: a plan that leaves shipped files out is proved against it too
        before = proof.wheel_before(root, facts)
    try:
        result.proof = proof.prove(root, facts, result.plan, before)
    except proof.ShipsNewFiles as shipped:
        result = _plan(options, ask, root, existing, facts, leave_out=shipped.paths)
        result.notes += [
            f"{path} not written: the build takes every such file into the wheel, and the "
            "wheel must stay as it was"
            for path in shipped.paths
        ]
        result.proof = proof.prove(root, facts, result.plan, before)
    return result


def _read_facts(root: Path) -> RepoFacts | None:
    """The folder's facts, after refusing (exit 2, nothing written) a pyproject that is invalid."""
    if not root.is_dir():
        return None
    facts = read_facts(root)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        from qdev.project.validate import require_valid

        require_valid(pyproject, then="run qdev init again")
    return facts


def _plan(
    options: InitOptions,
    ask: Ask | None,
    root: Path,
    existing: ExistingRepo,
    facts: RepoFacts | None,
    leave_out: tuple[str, ...] = (),
) -> InitResult:
    adopted = Adopted(facts.requires_python, facts.default_branch) if facts else None
    settings = resolve_settings(options, root, existing, ask, adopted)
    inputs = RenderInputs(settings.kind, settings.ci_provider, variables(settings))
    rendered = render_profile(settings.profile, inputs.kind, inputs.ci_provider, inputs.variables)
    rendered, ci_note = without_unready_pipeline(rendered, settings, inputs.variables)
    notes: list[str] = [ci_note] if ci_note else []
    exact: dict[str, Exact] = {}
    if facts is not None:
        # As `qdev sync` re-makes the profile's render for this repo (its base for a merge).
        as_new = config_into_pyproject(rendered) if existing.in_pyproject else rendered
        as_new = without_build_system(as_new) if existing.unpackaged else as_new
        from qdev.project import adopt

        adoption = adopt.adopt_files(
            rendered,
            facts,
            existing,
            _current_texts(root, rendered),
            raw={item.path: item.content for item in as_new},
            force=options.force,
        )
        rendered, exact = adoption.files, adoption.exact
        notes += adoption.notes
        rendered = [item for item in rendered if item.path not in leave_out]
    else:
        if existing.in_pyproject:
            rendered = config_into_pyproject(rendered)
        rendered = [item for item in rendered if existing.owns(item.path)]
        if existing.unpackaged:
            rendered = without_build_system(rendered)
    plan = plan_files(
        root, rendered, settings.profile, force=options.force, inputs=inputs, exact=exact
    )
    return InitResult(settings, plan, notes, facts=facts)


def _current_texts(root: Path, rendered: list[RenderedFile]) -> dict[str, str]:
    names = {item.path for item in rendered} | {"pyproject.toml", "ruff.toml", ".ruff.toml"}
    found = {}
    for name in sorted(names):
        path = root / name
        if path.is_file():
            try:
                found[name] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    return found


def _repo_and_env(
    root: Path,
    journal: Journal,
    result: InitResult,
    options: InitOptions,
    meanwhile: Callable[[], object] | None,
) -> None:
    """`git init` and `qdev env`, the independent parts at the same time: finding the git
    repository and `git init` run in a thread beside `uv sync`, the long part, which stays in
    this thread so that Ctrl-C stops it at once. The hook needs both, so it comes last, once,
    in the repository the thread found."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    if options.git:
        # a .git that is not there now is init's to remove on undo; noted here, so only this
        # thread ever touches the journal
        journal.remember(root / ".git")
    git_notes: list[str] = []
    syncing = threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="qdev-git") as pool:
        made = pool.submit(_new_repository, root, result.facts, git_notes) if options.git else None
        if meanwhile is not None:
            # after the git work, which the hook waits for, and once uv sync runs: this thread's
            # Python work before it would only hold the start of the sync back
            pool.submit(_when_set, syncing, meanwhile)
        try:
            synced = _bootstrap_env(root, journal, made, syncing) if options.env else None
        finally:
            syncing.set()
        if made is not None:
            made.result()
            result.notes += git_notes
            _inject("git")
    if synced is not None:
        kernel = f"; Jupyter kernel: {synced.kernel}" if synced.kernel else ""
        result.notes.append(
            f"environment: Python {synced.python} in {root / '.venv'}; git hook: {synced.hook}"
            + kernel
        )
        _inject("env")


def _when_set(event: threading.Event, work: Callable[[], object]) -> None:
    """`work`, once `event` is set."""
    event.wait()
    work()


def _bootstrap_env(
    root: Path, journal: Journal, git_ready: Future[Path] | None, syncing: threading.Event
) -> EnvReport:
    """`qdev env`, its hook once `git init` is done: an interrupt undoes everything; a failure
    keeps the files and says so."""
    from qdev.environment import ensure_env
    from qdev.errors import Interrupted

    for made in ("uv.lock", ".venv"):
        journal.remember(root / made)
    journal.remember(root / ".git" / "hooks" / "pre-commit")
    try:
        return ensure_env(root, git_ready=git_ready, on_sync=lambda pid: syncing.set())
    except Interrupted:
        raise
    except QdevError as exc:
        journal.files.clear()
        journal.dirs.clear()
        journal.trees.clear()
        exc.message += (
            f"\n(the repo's files are written and kept: once fixed, run `qdev env` in {root})"
        )
        raise


def _target(path: Path) -> Path:
    root = path.expanduser().absolute()
    if root.exists() and not root.is_dir():
        raise UsageError(
            f"{root} is a file, not a folder", fix="give qdev init a folder (new or existing)"
        )
    for parent in root.parents:
        if parent.exists() and not parent.is_dir():
            raise UsageError(
                f"{root} cannot be created: {parent} is a file", fix="choose another PATH"
            )
    return root


def without_build_system(rendered: list[RenderedFile]) -> list[RenderedFile]:
    """The profile's pyproject.toml less its [build-system], for a project that has none."""
    import tomlkit

    def strip(item: RenderedFile) -> RenderedFile:
        if item.path != "pyproject.toml":
            return item
        doc = tomlkit.parse(item.content.decode("utf-8"))
        doc.pop("build-system", None)
        return RenderedFile(item.path, tomlkit.dumps(doc).encode("utf-8"))

    return [strip(item) for item in rendered]


def config_into_pyproject(rendered: list[RenderedFile]) -> list[RenderedFile]:
    """The profile's qdev.toml moved under [tool.qdev] of its pyproject.toml.

    A repo that keeps its config in pyproject.toml must not get a qdev.toml too: qdev refuses
    a repo configured in both places.
    """
    import tomlkit

    files = {item.path: item for item in rendered}
    config = files.pop("qdev.toml", None)
    pyproject = files.get("pyproject.toml")
    if config is None or pyproject is None:
        return rendered
    doc = tomlkit.parse(pyproject.content.decode("utf-8"))
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    tool["qdev"] = tomlkit.parse(config.content.decode("utf-8"))
    files["pyproject.toml"] = RenderedFile("pyproject.toml", tomlkit.dumps(doc).encode("utf-8"))
    return [files[path] for path in sorted(files)]


def _new_repository(root: Path, facts: RepoFacts | None, notes: list[str]) -> Path:
    """The top folder of the work tree `root` is in, after `git init` when there is none;
    what was done goes to `notes`."""
    from qdev.tools import git

    probe = root
    while not probe.exists():
        probe = probe.parent
    git_root = git.toplevel(probe)
    if git_root is not None:
        if git_root.resolve() == root.resolve():
            notes.append(f"git: using the existing repository at {git_root}")
        else:
            notes.append(
                f"git: {root} is inside the existing repository at {git_root}; working there"
            )
        return git_root
    branch = (facts.default_branch if facts else None) or "main"
    git.init(root, branch=branch)
    notes.append(f"git: new repository at {root} on branch {branch}")
    return root


def _commit(root: Path, settings: Settings, plan: Plan) -> str | None:
    from qdev.tools import git

    repo = git.open_repo(root)
    ours = [item.path for item in plan.files if item.action != Action.KEEP]
    if (root / "uv.lock").is_file():
        ours.append("uv.lock")
    git.run(repo, "add", "--", *(str(root / path) for path in ours))
    if not git.run(repo, "diff", "--cached", "--name-only").strip():
        return None
    profile = settings.profile
    message = f"Start {settings.name} from the qdev profile {profile.name} {profile.version}"
    git.run(repo, "commit", "-m", message)
    return git.head_commit(repo)
