"""What pytest and coverage said, as findings: failing tests at the failing line, modules that
could not be imported with the exception they raised, uncovered lines by file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qdev.check.model import Finding
from qdev.check.steps._base import StepContext
from qdev.check.steps._util import relative

# `tests/test_x.py:12: AssertionError` closing a failure's traceback.
TRACEBACK_LINE = re.compile(r"^(?P<path>\S.*?\.py):(?P<line>\d+): (?P<error>\w+)$")
# `FAILED tests/test_x.py::test_y[a b] - assert 1 == 2` in the short summary (-rfE).
FAILED_LINE = re.compile(
    r"^(?:FAILED|ERROR) (?P<node>\S.*?\.py)(?:::(?P<test>.+?))?(?: - (?P<msg>.*))?$"
)
# Where an import failed: `___ ERROR collecting tests/test_x.py ___`, or a conftest on stderr.
COLLECTING = re.compile(r"^_+ ERROR collecting (?P<path>.+?) _+$")
CONFTEST = re.compile(r"^ImportError while loading conftest '(?P<path>.+)'\.$")
SECTION_END = re.compile(r"^(?:={3,}|_{3,})")
WHERE = re.compile(r"^(?P<path>\S.*?\.py):(?P<line>\d+): in ")
SYNTAX_WHERE = re.compile(r'^E\s+File "(?P<path>.+?)", line (?P<line>\d+)')
EXCEPTION = re.compile(r"^E\s+(?P<msg>[\w.]+(?:Error|Exception|Interrupt|Exit)\b.*)$")
COVER_ROW = re.compile(
    r"^(?P<path>\S.*?\.pyw?)\s+\d+\s+\d+\s+(?:\d+\s+\d+\s+)?\d+%\s+(?P<missing>\d.*)$"
)


def failures(ctx: StepContext, lines: list[str], skip: Iterable[str | None] = ()) -> list[Finding]:
    """Each failing test at the line its traceback ends on, with the summary's message."""
    skipped = set(skip)
    located = [
        Finding(m["error"], relative(ctx, m["path"]), int(m["line"]))
        for m in map(TRACEBACK_LINE.match, lines)
        if m
    ]
    summary = [m for m in map(FAILED_LINE.match, lines) if m]
    if len(located) == len(summary):
        found = [
            Finding(
                f"{m['test'] or 'collection'} failed: {m['msg'] or where.message}",
                where.path,
                where.line,
            )
            for where, m in zip(located, summary, strict=True)
        ]
    else:
        found = located or [
            Finding(
                f"{m['test'] or 'collection'} failed: {m['msg'] or ''}".rstrip(": "),
                relative(ctx, m["node"]),
            )
            for m in summary
        ]
    return [finding for finding in found if finding.path not in skipped]


def import_failures(ctx: StepContext, lines: list[str]) -> list[Finding]:
    """Test modules and conftest files pytest could not import: each with the exception it
    raised, at the line of that file where it was raised."""
    found: list[Finding] = []
    subject: str | None = None
    body: list[str] = []
    for line in [*lines, "=" * 3]:
        start = COLLECTING.match(line) or CONFTEST.match(line)
        if subject is not None and (start or SECTION_END.match(line)):
            found.append(_import_failure(ctx, subject, body))
            subject = None
        if start:
            subject, body = relative(ctx, start["path"]), []
        elif subject is not None:
            body.append(line)
    return found


def _import_failure(ctx: StepContext, path: str, body: list[str]) -> Finding:
    messages = [m["msg"] for m in map(EXCEPTION.match, body) if m]
    message = messages[-1] if messages else "could not be imported"
    line = None
    for m in (*map(WHERE.match, body), *map(SYNTAX_WHERE.match, body)):
        if m and relative(ctx, m["path"]) == path:
            line = int(m["line"])
    return Finding(message, path, line, code="import")


def broken_summary(broken: list[Finding]) -> str:
    first, more = broken[0], len(broken) - 1
    summary = f"{first.path} could not be imported: {first.message}"[:200]
    if more:
        summary += f" (and {more} more module{'s' if more > 1 else ''})"
    return summary


def uncovered(ctx: StepContext, report: Path, lines: list[str]) -> list[Finding]:
    """Each file under 100 %, at its first uncovered line: from coverage's JSON report, whose
    paths are exact (the text table's are split at spaces), else from the table."""
    try:
        data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        files: dict[str, Any] = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return _uncovered_from_table(ctx, lines)
    findings = []
    for path, info in sorted(files.items()):
        missing = sorted(info.get("missing_lines") or [])
        # as coverage's own table: a branch from a line never run is told by that line
        branches = [b for b in info.get("missing_branches") or [] if b[0] not in missing]
        if not missing and not branches:
            continue
        statements = sorted({*missing, *(info.get("executed_lines") or [])})
        parts = [f"lines {_ranges(statements, set(missing))}"] if missing else []
        if branches:
            parts.append(
                "branches " + ", ".join(f"{a}->{b if b > 0 else 'exit'}" for a, b in branches)
            )
        first = missing[0] if missing else branches[0][0]
        findings.append(Finding(f"not covered: {'; '.join(parts)}", relative(ctx, path), first))
    return findings


def _ranges(statements: list[int], missing: set[int]) -> str:
    """Missing statements as coverage writes them: runs with no executed statement between
    them joined, `3-5, 9`."""
    runs: list[list[int]] = []
    previous_missing = False
    for number in statements:
        if number in missing:
            if previous_missing:
                runs[-1][1] = number
            else:
                runs.append([number, number])
        previous_missing = number in missing
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _uncovered_from_table(ctx: StepContext, lines: list[str]) -> list[Finding]:
    findings = []
    for m in map(COVER_ROW.match, lines):
        if m:
            first = int(re.split(r"[-,\s]", m["missing"].strip())[0])
            findings.append(
                Finding(
                    f"not covered: lines {m['missing'].strip()}", relative(ctx, m["path"]), first
                )
            )
    return findings
