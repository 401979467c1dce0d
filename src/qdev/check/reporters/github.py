"""GitHub Actions: workflow annotations with file and line, grouped logs, and a job summary.

The job summary goes to the file $GITHUB_STEP_SUMMARY names, when it is set.
"""

from __future__ import annotations

import os
from pathlib import Path

from qdev.check.model import CheckRun, Finding, Status, StepResult
from qdev.check.reporters import text


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(step: str, finding: Finding, level: str = "error") -> str:
    props = []
    if finding.path:
        props.append(f"file={_prop(finding.path)}")
        if finding.line:
            props.append(f"line={finding.line}")
            if finding.column:
                props.append(f"col={finding.column}")
    title = f"qdev check {step}" + (f" ({finding.code})" if finding.code else "")
    props.append(f"title={_prop(title)}")
    return f"::{level} {','.join(props)}::{_data(finding.message)}"


def _step_lines(result: StepResult) -> list[str]:
    lines = [
        f"::group::qdev check {result.id}: {text.status_label(result)}",
        result.output.rstrip() or result.summary,
        "::endgroup::",
    ]
    if result.status is Status.FAILED:
        lines += [annotation(result.id, f) for f in result.findings] or [
            annotation(result.id, Finding(result.summary))
        ]
    elif result.status is Status.NOT_RUN:
        lines.append(annotation(result.id, Finding(f"not run: {result.summary}"), "warning"))
    return lines


def job_summary(run: CheckRun) -> str:
    icons = {Status.PASSED: "✅", Status.FAILED: "❌", Status.NOT_RUN: "⚠️", Status.SKIPPED: "⏭️"}
    rows = ["## qdev check", "", "| step | status | time | summary |", "| --- | --- | --- | --- |"]
    for r in run.results:
        summary = r.summary.replace("|", "\\|")
        rows.append(
            f"| {r.id} | {icons[r.status]} {text.status_label(r)} | {r.seconds:.2f}s | {summary} |"
        )
    rows += ["", f"**{'passed' if run.ok else 'failed'}**: {run.summary()}", ""]
    return "\n".join(rows)


def render(run: CheckRun) -> str:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with Path(target).open(
            "a", encoding="utf-8"
        ) as handle:  # appended by contract, not replaced
            handle.write(job_summary(run))
    lines = [line for result in run.results for line in _step_lines(result)]
    return "\n".join([*lines, text.table(run), f"qdev check: {run.summary()}"]) + "\n"
