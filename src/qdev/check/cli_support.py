"""What `qdev check` does between parsing its options and exiting: kept out of the CLI module
so that `qdev --help` imports none of it, and so that tests can call it directly."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from qdev.check import api, replay
from qdev.check.api import (
    CheckOptions,
    list_steps,
    load,
    load_with_inputs,
    run_check,
    split_targets,
)
from qdev.check.fastpath import handed_over
from qdev.check.model import CheckRun
from qdev.check.progress import LiveProgress, PlainProgress, plain_progress_wanted
from qdev.check.runner import NoProgress, Progress
from qdev.fileio import write_atomic
from qdev.output import SETTINGS, console


def print_list() -> None:
    _, config = load()
    out = console()
    width = max(len(name) for name, *_ in list_steps(config))
    for name, description, default, enabled in list_steps(config):
        mark = "default" if default else ("disabled" if not enabled else "on request")
        out.print(f"{name.ljust(width)}  {mark:<10}  {description}", markup=False)


@contextmanager
def _progress(steps: Sequence[str], fmt: str, output: Path | None) -> Iterator[Progress]:
    """A live table on a terminal (gone when the report is printed); elsewhere plain lines
    only when nothing else on the screen will name each step (the report is JSON or JUnit):
    a text or GitHub report already lists every step once."""
    if SETTINGS.quiet:
        yield NoProgress()
    elif sys.stderr.isatty():
        with LiveProgress(list(steps)) as live:
            yield live
    elif plain_progress_wanted(fmt, output):
        yield PlainProgress()
    else:
        yield NoProgress()


def run(
    words: Sequence[str],
    *,
    jobs: int | None,
    fail_fast: bool,
    fix: bool,
    use_cache: bool,
    changed: bool,
    base: str | None,
    fmt: str,
    output: Path | None,
    staged: bool = False,
    use_baseline: bool = True,
    update_baseline: bool = False,
    named_steps: Sequence[str] = (),
) -> int:
    prepared = handed_over()
    root, config, inputs = (
        (prepared.root, prepared.config, prepared.inputs) if prepared else load_with_inputs()
    )
    if named_steps:  # --step: the words are all files
        steps, files = list(named_steps), split_targets(root, config, words, files_only=True)[1]
    else:
        steps, files = split_targets(root, config, words)
    options = CheckOptions(
        steps=steps,
        jobs=jobs,
        fail_fast=fail_fast,
        fix=fix,
        use_cache=use_cache,
        changed=changed,
        base=base,
        files=files,
        staged=staged,
        baseline=use_baseline,
    )
    # Taken before the run: the stored answer must describe the files the steps saw.
    replayable = not (fix or changed or base or files or staged or update_baseline)
    replayable = replayable and use_baseline
    seen = None
    if replayable:
        seen = prepared.seen if prepared else replay.fingerprint(root, inputs)
    shown = steps or config.check.steps
    with _progress(shown, fmt, output) as progress:
        if update_baseline:
            result, counts = api.update_baseline(root, config, options, progress)
            _say_recorded(counts)
        else:
            result = run_check(root, config, options, progress)
    if seen is not None and not result.warnings:
        as_printed = fmt if (output is None and SETTINGS.verbose == 0) else None  # by warm.py
        key = replay.run_key(steps, fail_fast)
        problem = replay.save(root, key, inputs, seen, result, shown=as_printed)
        if problem is not None:
            result.warnings.append(f"results were not cached: {problem}")
    report(result, fmt, output)
    return result.exit_code


def _say_recorded(counts: dict[str, int]) -> None:
    from qdev.check.baseline import BASELINE
    from qdev.output import info

    total = sum(counts.values())
    each = ", ".join(f"{step} {n}" for step, n in counts.items())
    info(
        f"baseline: {total} known finding{'s' if total != 1 else ''}"
        + (f" ({each})" if each else "")
        + f" recorded in {BASELINE.as_posix()}; commit it"
    )


def report(result: CheckRun, fmt: str, output: Path | None) -> None:
    from qdev.check.reporters import emit

    emit(result, fmt, output, verbose=SETTINGS.verbose > 0)


def run_matrix(steps: Sequence[str], clashing: Sequence[str] = ()) -> int:
    """Run the nox `check` sessions (one per project.python version) with qdev's interpreter."""
    if clashing:
        from qdev.errors import UsageError

        raise UsageError(
            f"--matrix does not go with {', '.join(clashing)}",
            fix="qdev check --matrix [STEP...] runs the nox sessions with their text reports",
        )
    from qdev.check.nox_sessions import NOXFILE
    from qdev.tools.process import run as run_process

    root, _ = load()
    noxfile = root / "noxfile.py"
    if not noxfile.exists():
        noxfile = root / ".qdev" / "cache" / "noxfile.py"
        write_atomic(noxfile, NOXFILE)
    argv = [
        sys.executable,
        "-m",
        "nox",
        "-f",
        str(noxfile),
        "--envdir",
        str(root / ".nox"),
        "-s",
        "check",
    ]
    if steps:
        argv += ["--", *steps]
    return run_process(argv, cwd=root, capture=False).returncode
