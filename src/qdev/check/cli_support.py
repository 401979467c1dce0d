"""What `qdev check` does between parsing its options and exiting: kept out of the CLI module
so that `qdev --help` imports none of it, and so that tests can call it directly."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from qdev.check import replay
from qdev.check.api import CheckOptions, list_steps, load, load_with_inputs, run_check
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
    steps: Sequence[str],
    *,
    jobs: int | None,
    fail_fast: bool,
    fix: bool,
    use_cache: bool,
    changed: bool,
    base: str | None,
    fmt: str,
    output: Path | None,
) -> int:
    root, config, inputs = load_with_inputs()
    options = CheckOptions(
        steps=list(steps),
        jobs=jobs,
        fail_fast=fail_fast,
        fix=fix,
        use_cache=use_cache,
        changed=changed,
        base=base,
    )
    # Taken before the run: the stored answer must describe the files the steps saw.
    replayable = not (fix or changed or base)
    seen = replay.fingerprint(root, inputs) if replayable else ""
    shown = list(steps) or config.check.steps
    with _progress(shown, fmt, output) as progress:
        result = run_check(root, config, options, progress)
    if replayable and not result.warnings:
        problem = replay.save(root, replay.run_key(steps, fail_fast), inputs, seen, result)
        if problem is not None:
            result.warnings.append(f"results were not cached: {problem}")
    report(result, fmt, output)
    return result.exit_code


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
