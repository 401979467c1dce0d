"""Small helpers the step modules share: relative paths, config files, judging a run."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps._base import StepContext

PROJECT_FILES = ("pyproject.toml", "setup.cfg")


def relative(ctx: StepContext, path: str, cwd: Path | None = None) -> str:
    full = Path(path) if os.path.isabs(path) else (cwd or ctx.root) / path
    try:
        return full.resolve().relative_to(ctx.root.resolve()).as_posix()
    except ValueError:
        return path


def config_files(ctx: StepContext, names: Sequence[str]) -> list[str]:
    """Tracked config files with one of `names`, at the root or in any folder."""
    wanted = set(names)
    return [path for path in ctx.visible_files if path.rsplit("/", 1)[-1] in wanted]


def judged(
    status_ok: bool,
    findings: list[Finding],
    output: str,
    command: Sequence[str],
    *,
    passed: str,
    failed: str,
) -> Outcome:
    if status_ok:
        return Outcome(Status.PASSED, passed, (), output, tuple(command))
    summary = failed.format(n=len(findings), s="" if len(findings) == 1 else "s")
    return Outcome(Status.FAILED, summary, tuple(findings), output, tuple(command))


def tool_error(command: Sequence[str], returncode: int, output: str) -> Outcome:
    first = next((line for line in output.splitlines() if line.strip()), "no output")
    return Outcome(
        Status.FAILED,
        f"{Path(command[0]).name} exited with {returncode}: {first.strip()[:160]}",
        (Finding(first.strip()),),
        output,
        tuple(command),
    )
