"""The check pipeline as plain functions: load, select, prepare, run. The CLI only wires them."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qdev.check import baseline
from qdev.check.model import CheckRun
from qdev.check.runner import Progress, Schedule, from_cache, run_steps
from qdev.check.steps import Step, StepContext, all_steps
from qdev.check.warm import untracked_inputs
from qdev.errors import ToolMissing, UsageError

if TYPE_CHECKING:
    from qdev.config.models import QdevConfig


@dataclass
class CheckOptions:
    steps: Sequence[str] = ()
    """Step names to run; empty: the config's `check.steps`."""
    jobs: int | None = None
    fail_fast: bool = False
    fix: bool = False
    use_cache: bool = True
    changed: bool = False
    base: str | None = None
    files: Sequence[str] = ()
    """Files (repo-relative) the run is about, as the git hook names them: format, lint and
    secrets look at these only."""
    staged: bool = False
    """Narrow the run to the files staged for the next commit."""
    baseline: bool = True
    """Report findings known in `.qdev/baseline.json` as a count, not as failures."""
    venv: Path | None = None
    """The environment whose tools run; default `<root>/.venv`, checked against uv.lock."""
    extra_env: dict[str, str] = field(default_factory=dict)


def load(
    start: Path | None = None, overrides: Mapping[str, object] | None = None
) -> tuple[Path, QdevConfig]:
    """The repo root and its effective configuration."""
    root, config, _ = load_with_inputs(start, overrides)
    return root, config


def load_with_inputs(
    start: Path | None = None, overrides: Mapping[str, object] | None = None
) -> tuple[Path, QdevConfig, list[str]]:
    """The repo root, its configuration, and every file that could change the configuration
    (the repo's, the profile's and the user's config files, whether they exist or not)."""
    from qdev.config.loader import load_config, user_config_file

    loaded = load_config(start, overrides=overrides)
    inputs = [
        loaded.root / "qdev.toml",
        loaded.root / "pyproject.toml",
        loaded.root / baseline.BASELINE,  # it changes the verdict, even where git ignores it
        user_config_file(),
    ]
    if loaded.profile_dir is not None:
        inputs += sorted(loaded.profile_dir.glob("*.toml"))
    return loaded.root, loaded.config, [str(path) for path in inputs]


def select(config: QdevConfig, names: Sequence[str], ctx: StepContext) -> dict[str, Step]:
    """The named steps (default: the config's list, less disabled ones) and what they depend on."""
    known = all_steps(config)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(
            f"unknown step{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            fix=f"choose from {', '.join(known)} (qdev check --list)",
        )
    wanted = list(names) or [n for n in config.check.steps if known[n].enabled(ctx)]
    chosen: dict[str, Step] = {}
    todo = list(wanted)
    while todo:
        name = todo.pop(0)
        if name not in chosen:
            chosen[name] = known[name]
            todo.extend(known[name].depends_on(ctx))
    return chosen


def split_targets(
    root: Path,
    config: QdevConfig,
    words: Sequence[str],
    cwd: Path | None = None,
    *,
    files_only: bool = False,
) -> tuple[list[str], list[str]]:
    """The command line's words as (steps, files): a word naming a step is that step (unless
    `files_only`, as with --step), any other must name a file or folder in the repo (write
    `./lint` for a file named like a step). Paths are taken from `cwd` and returned relative
    to the repo root."""
    known = all_steps(config)
    here = (cwd or Path.cwd()).resolve()
    top = root.resolve()
    steps: list[str] = []
    files: list[str] = []
    for word in words:
        if word in known and not files_only:
            steps.append(word)
            continue
        path = (here / word).resolve()
        if not path.exists() and not path.is_symlink():
            close = difflib.get_close_matches(word, list(known), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise UsageError(
                f"{word} is neither a step nor a file",
                fix=f"{hint}name a step ({', '.join(known)}) or a file in the repo",
            )
        if not path.is_relative_to(top):
            raise UsageError(f"{word} is outside the repo at {root}", fix="name files in the repo")
        files.append(path.relative_to(top).as_posix() or ".")
    return steps, files


def ensure_env(root: Path) -> Path:
    """The repo's `.venv`, or ToolMissing (exit 3) when it is missing or stale."""
    from qdev.envstate import staleness

    problem = staleness(root)
    if problem is not None:
        raise ToolMissing(f"the repo's environment is not ready: {problem}", fix="run `qdev env`")
    return root / ".venv"


def changed_files(root: Path, base: str | None) -> list[str]:
    from qdev.tools import git

    repo = git.open_repo(root)
    ref = base or git.merge_base(repo, git.default_branch(repo))
    return git.changed_files(repo, ref)


def scope(
    root: Path, options: CheckOptions, tracked: list[str], untracked: list[str]
) -> list[str] | None:
    """The files a narrowed run is about (existing ones, folders expanded), or None."""
    if not (options.files or options.staged or options.changed or options.base):
        return None
    from qdev.tools import git

    wanted: list[str] = []
    if options.changed or options.base:  # new files not yet added count as changed too
        wanted += [*changed_files(root, options.base), *untracked]
    if options.staged:
        wanted += git.staged_files(git.open_repo(root))
    known = [*tracked, *untracked]
    for name in options.files:
        inside = [path for path in known if name == "." or path.startswith(f"{name}/")]
        wanted += inside or [name]
    return [path for path in dict.fromkeys(wanted) if (root / path).is_file()]


@contextmanager
def context(root: Path, config: QdevConfig, options: CheckOptions) -> Iterator[StepContext]:
    from qdev.tools import git
    from qdev.tools.process import ChildGroup

    venv = options.venv or ensure_env(root)
    tracked = git.ls_tracked(root)
    untracked = untracked_inputs(git.ls_untracked(root))
    scratch = Path(tempfile.mkdtemp(prefix="qdev-check-"))
    try:
        yield StepContext(
            root=root,
            venv=venv,
            config=config,
            tracked=tracked,
            untracked=untracked,
            submodule_files=untracked_inputs(git.ls_submodule_files(root)),
            children=ChildGroup(),
            fix=options.fix,
            changed=scope(root, options, tracked, untracked),
            scratch=scratch,
            extra_env=options.extra_env,
            tool_caches=options.use_cache,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def check_tools(ctx: StepContext, steps: Mapping[str, Step]) -> None:
    for step in steps.values():
        for tool in step.needed_tools(ctx):
            ctx.tool(tool)


def run_check(
    root: Path, config: QdevConfig, options: CheckOptions, progress: Progress | None = None
) -> CheckRun:
    with context(root, config, options) as ctx:
        steps, run = _run(ctx, config, options, progress)
        return _with_baseline(ctx, steps, run, options)


def _run(
    ctx: StepContext, config: QdevConfig, options: CheckOptions, progress: Progress | None
) -> tuple[dict[str, Step], CheckRun]:
    steps = select(config, options.steps, ctx)
    check_tools(ctx, steps)
    jobs = options.jobs or config.check.jobs or os.cpu_count() or 2
    schedule = Schedule(
        jobs,
        options.fail_fast,
        options.use_cache and not options.fix,
        light_beside=not (options.jobs or config.check.jobs),
    )
    return steps, run_steps(ctx, steps, schedule, progress)


def cached_check(root: Path, config: QdevConfig, options: CheckOptions) -> CheckRun | None:
    """The whole run answered from the cache, or None when any step would have to run."""
    if not options.use_cache or options.fix:
        return None
    with context(root, config, options) as ctx:
        steps = select(config, options.steps, ctx)
        check_tools(ctx, steps)
        run = from_cache(ctx, steps, Schedule(1, options.fail_fast, True))
        return None if run is None else _with_baseline(ctx, steps, run, options)


def _with_baseline(
    ctx: StepContext, steps: Mapping[str, Step], run: CheckRun, options: CheckOptions
) -> CheckRun:
    if not options.baseline:
        return run
    known = baseline.load(ctx.root)
    if known is None:
        return run
    return baseline.apply(ctx.root, run, known, baselined(steps), ctx.changed)


def baselined(steps: Mapping[str, Step]) -> list[str]:
    return [name for name, step in steps.items() if step.baselined]


def update_baseline(
    root: Path, config: QdevConfig, options: CheckOptions, progress: Progress | None = None
) -> tuple[CheckRun, dict[str, int]]:
    """Run the steps over the whole repo, record the findings of the steps that judge files
    as the baseline, and return the run judged against it, with the count per step."""
    if options.files or options.staged or options.changed or options.base:
        raise UsageError(
            "--update-baseline records the whole repo's findings; it does not go with files, "
            "--staged, --changed or --base",
            fix="qdev check --update-baseline [STEP...]",
        )
    previous = baseline.load(root)
    whole = replace(options, baseline=False)
    with context(root, config, whole) as ctx:
        steps, run = _run(ctx, config, whole, progress)
        recorded = baseline.record(root, run, baselined(steps), previous)
        return baseline.apply(root, run, recorded, baselined(steps), None), recorded.counts()


def list_steps(config: QdevConfig) -> list[tuple[str, str, bool, bool]]:
    """(name, description, in the default run, enabled) for every step the config knows."""
    from qdev.config.models import BUILTIN_STEPS, StepOptions

    known = all_steps(config)
    rows = []
    for name, step in known.items():
        options = getattr(config.check, name, None) if name in BUILTIN_STEPS else None
        enabled = options.enabled if isinstance(options, StepOptions) else True
        description = step.description or " ".join(
            getattr(config.check.custom.get(name), "run", [])
        )
        rows.append((name, description, name in config.check.steps and enabled, enabled))
    return rows


def passes(root: Path) -> tuple[bool, str]:
    """Run the repo's default steps with the cache; whether all passed, and a one-line summary."""
    found_root, config = load(root)
    run = run_check(found_root, config, CheckOptions())
    if run.ok:
        reasons = run.not_run_reasons()
        return True, f"qdev check: {run.summary()}" + (f" ({reasons})" if reasons else "")
    failed = ", ".join(f"{r.id} ({r.summary})" for r in run.failed)
    return False, f"qdev check failed: {failed}"
