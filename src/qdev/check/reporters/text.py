"""The report for people: each step's output grouped under its name, then a summary table."""

from __future__ import annotations

from qdev.check.model import CheckRun, Status, StepResult

LABELS = {
    Status.PASSED: "passed",
    Status.FAILED: "FAILED",
    Status.NOT_RUN: "NOT RUN",
    Status.SKIPPED: "skipped",
}
MAX_OUTPUT_LINES = 200
# ANSI colours, used only when colour is on (a terminal, FORCE_COLOR; never with NO_COLOR).
COLOURS = {Status.PASSED: "32", Status.FAILED: "1;31", Status.NOT_RUN: "33", Status.SKIPPED: "2"}


def _paint(text: str, status: Status, colour: bool) -> str:
    return f"\033[{COLOURS[status]}m{text}\033[0m" if colour else text


def status_label(result: StepResult) -> str:
    label = LABELS[result.status]
    return f"{label} (cached)" if result.cached else label


def step_block(result: StepResult, *, verbose: bool = False) -> str:
    """The step's own output, or the findings that matter when a tool's output is noisy."""
    if result.status is Status.PASSED and not verbose:
        return ""
    if result.status in (Status.NOT_RUN, Status.SKIPPED) and not verbose:
        return ""
    body = (
        result.output.rstrip()
        if (verbose or not result.findings)
        else "\n".join(f.render() for f in result.findings)
    )
    lines = body.splitlines()
    if len(lines) > MAX_OUTPUT_LINES:
        lines = [
            f"... {len(lines) - MAX_OUTPUT_LINES} lines before these ...",
            *lines[-MAX_OUTPUT_LINES:],
        ]
    rule = f"── {result.id}: {status_label(result)} ".ljust(72, "─")
    return "\n".join([rule, *lines])


def table(run: CheckRun, *, colour: bool = False) -> str:
    width = max([len(r.id) for r in run.results] + [4])
    label_width = max([len(status_label(r)) for r in run.results] + [6])
    rows = [f"{'step'.ljust(width)}  {'status'.ljust(label_width)}  {'time':>7}  summary"]
    for result in run.results:
        seconds = f"{result.seconds:.2f}s"
        label = _paint(status_label(result).ljust(label_width), result.status, colour)
        rows.append(f"{result.id.ljust(width)}  {label}  {seconds:>7}  {result.summary}")
    return "\n".join(rows)


def render(run: CheckRun, *, verbose: bool = False, colour: bool = False) -> str:
    blocks = [block for r in run.results if (block := step_block(r, verbose=verbose))]
    verdict = (
        _paint("passed", Status.PASSED, colour)
        if run.ok
        else _paint("FAILED", Status.FAILED, colour)
    )
    closing = f"qdev check {verdict}: {run.summary()} in {run.seconds:.2f}s"
    return "\n\n".join([*blocks, table(run, colour=colour), closing]) + "\n"
