"""Small helpers the step modules share: relative paths, config files, judging a run."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps._base import StepContext

if TYPE_CHECKING:
    from qdev.tools.process import ProcessResult

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


# Lines that only decorate a tool's output: rules, banners, progress bars.
DECORATION = re.compile(r"^[\s=_\-!*~#.+]*$|^[=_\-!*]{3,}")
# Lines that say what went wrong: `error: ...`, `mypy: error: ...`, pytest's `E   ...`,
# INTERNALERROR, an exception's last line.
ERROR_LINE = re.compile(
    r"^(?:(?:\S+: )?(?:error|fatal)\b|E\s{2,}\S|INTERNALERROR>|[\w.]*(?:Error|Exception)\b)",
    re.IGNORECASE,
)


def real_cause(stdout: str, stderr: str) -> str:
    """The line of a tool's output that says what went wrong: the last error-like line (stderr
    first), else the last meaningful line; never a banner like "=== test session starts ===".
    """
    texts = (stderr, stdout)
    lines = [
        [ln.strip() for ln in text.splitlines() if ln.strip() and not DECORATION.match(ln.strip())]
        for text in texts
    ]
    for meaningful in lines:
        errors = [line for line in meaningful if ERROR_LINE.match(line)]
        if errors:
            return errors[-1]
    for meaningful in lines:
        if meaningful:
            return meaningful[-1]
    return "no output"


def tool_error(command: Sequence[str], result: ProcessResult) -> Outcome:
    """A tool that failed in a way the step cannot judge: the summary names the real cause."""
    cause = real_cause(result.stdout, result.stderr)[:200]
    return Outcome(
        Status.FAILED,
        f"{Path(command[0]).name} exited with {result.returncode}: {cause}",
        (Finding(cause),),
        result.output,
        tuple(command),
    )


# What uv (and other tools) say when the network, not the request, failed.
OFFLINE = re.compile(
    r"error sending request|dns error|failed to lookup address|Connection refused|"
    r"network connectivity is disabled|the network was disabled|timed out",
    re.IGNORECASE,
)
# uv's own lines that show where in a file a parse error is, under its `cause:` lines.
UV_SNIPPET = re.compile(r"^\s*\d*\s*\|")


def uv_failure(stderr: str) -> str:
    """uv's error and its causes as one line: "Failed to parse: pyproject.toml: TOML parse
    error at line 6, column 8; string values must be quoted"."""
    lines = stderr.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("error:")), None)
    if start is None:
        return real_cause("", stderr)
    details = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        if not UV_SNIPPET.match(line):
            details.append(re.sub(r"^\s*(?:cause:|Caused by:)\s*", "", line).strip())
    headline = lines[start].removeprefix("error:").strip()
    return "; ".join([headline, *(d for d in details if d)])[:300]
