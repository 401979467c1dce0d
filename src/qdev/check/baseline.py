"""The baseline: findings a repo already had, reported as a count that should go down instead
of failing every check (and every commit) until all of them are fixed.

`qdev check --update-baseline` writes `.qdev/baseline.json`: for each step that judges files
(format, lint, typecheck, secrets), its findings as (path, code, message, the text of the line
they are on), counted. Line numbers are left out on purpose: an edit above a known finding
moves it without making it new. A later run splits each such step's findings into known ones
(matched against the baseline, one for one) and new ones; only new ones fail the step.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qdev.check.model import CheckRun, Finding, Status, StepResult
from qdev.errors import ConfigError
from qdev.fileio import write_atomic

BASELINE = Path(".qdev") / "baseline.json"
FORMAT_VERSION = 1
ABOUT = (
    "Findings this repo already had, which `qdev check` reports as a count instead of failing. "
    "Made by `qdev check --update-baseline`; run it again after fixing some, and commit it."
)
# Positions inside a message move with edits elsewhere: "already defined on line 12".
POSITIONS = re.compile(r"\b(line|column|col)\s+\d+", re.IGNORECASE)

Key = tuple[str, str, str, str]
"""(path, code, message without positions, hash of the finding's line text)"""


@dataclass(frozen=True)
class Baseline:
    steps: Mapping[str, Counter[Key]]

    def counts(self) -> dict[str, int]:
        """How many known findings each step has."""
        return {step: sum(found.values()) for step, found in self.steps.items()}

    def known_in(self, step: str, scope: Sequence[str] | None) -> Counter[Key]:
        """The step's known findings, limited to the files a scoped run looked at."""
        known = self.steps.get(step, Counter())
        if scope is None:
            return Counter(known)
        files = set(scope)
        return Counter({key: n for key, n in known.items() if key[0] in files})


class Lines:
    """Each file's lines, read once per run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, list[str]] = {}

    def text(self, path: str, line: int | None) -> str:
        if path not in self._files:
            try:
                data = (self.root / path).read_text(encoding="utf-8", errors="replace")
                self._files[path] = data.splitlines()
            except OSError:
                self._files[path] = []
        lines = self._files[path]
        return lines[line - 1].strip() if line and 0 < line <= len(lines) else ""


def key(finding: Finding, lines: Lines) -> Key | None:
    """What identifies a finding across edits; None for one that names no file."""
    if not finding.path:
        return None
    context = hashlib.blake2b(
        lines.text(finding.path, finding.line).encode(), digest_size=8
    ).hexdigest()
    message = POSITIONS.sub(r"\1 N", finding.message)
    return (finding.path, finding.code or "", message, context)


def load(root: Path) -> Baseline | None:
    """The repo's baseline, None when it has none; ConfigError (exit 2) when it is damaged."""
    path = root / BASELINE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot be read ({exc.strerror})"]) from exc
    try:
        data = json.loads(text)
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"version {data.get('version')!r}, expected {FORMAT_VERSION}")
        steps = {
            step: Counter(
                {
                    (str(e["path"]), str(e["code"]), str(e["message"]), str(e["context"])): int(
                        e["count"]
                    )
                    for e in entries
                }
            )
            for step, entries in data["steps"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            [f"{path}: not a qdev baseline ({exc})"],
            fix="make it again with `qdev check --update-baseline`",
        ) from exc
    return Baseline(steps)


def record(
    root: Path, run: CheckRun, baselined: Iterable[str], previous: Baseline | None
) -> Baseline:
    """Write the baseline from `run`'s findings of the `baselined` steps it ran (other steps
    keep what the previous baseline had), and return it."""
    lines = Lines(root)
    steps: dict[str, Counter[Key]] = dict(previous.steps) if previous else {}
    wanted = set(baselined)
    for result in run.results:
        if result.id in wanted and result.status in (Status.PASSED, Status.FAILED):
            steps[result.id] = Counter(k for f in result.findings if (k := key(f, lines)))
    steps = {step: found for step, found in sorted(steps.items()) if found}
    data: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "about": ABOUT,
        "steps": {
            step: [
                {"path": p, "code": c, "message": m, "context": x, "count": n}
                for (p, c, m, x), n in sorted(found.items())
            ]
            for step, found in steps.items()
        },
    }
    write_atomic(root / BASELINE, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return Baseline(steps)


def apply(
    root: Path,
    run: CheckRun,
    baseline: Baseline,
    baselined: Iterable[str],
    scope: Sequence[str] | None,
) -> CheckRun:
    """`run` with known findings of the `baselined` steps taken out of their judgement."""
    lines = Lines(root)
    wanted = set(baselined)
    results = [
        _judged(result, baseline.known_in(result.id, scope), lines)
        if result.id in wanted and result.status in (Status.PASSED, Status.FAILED)
        else result
        for result in run.results
    ]
    return replace(run, results=results)


def _judged(result: StepResult, known: Counter[Key], lines: Lines) -> StepResult:
    if not known or (result.status is Status.FAILED and not result.findings):
        return result  # a failure no finding explains is never excused by the baseline
    new, matched, fixed = split(result.findings, known, lines)
    counts = f"{matched} known (baseline)" + (f", {fixed} fixed since" if fixed else "")
    if result.status is Status.PASSED or not new:
        summary = (
            f"no new problems; {counts}"
            if matched
            else f"{result.summary}; {fixed} fixed since the baseline"
        )
        return replace(result, status=Status.PASSED, summary=summary, findings=(), known=matched)
    noun = "problem" if len(new) == 1 else "problems"
    summary = f"{len(new)} new {noun}; {counts}"
    return replace(result, summary=summary, findings=tuple(new), known=matched)


def split(
    findings: Iterable[Finding], known: Counter[Key], lines: Lines
) -> tuple[list[Finding], int, int]:
    """(new findings, how many were known, how many known ones are gone), matching one for
    one: first on the line's text too, then, for findings whose line was edited (another
    finding on it fixed), on path, code and message alone."""
    remaining = Counter(known)
    loose = Counter(k[:3] for k in remaining.elements())
    unmatched: list[tuple[Finding, Key | None]] = []
    for finding in findings:
        found = key(finding, lines)
        if found is not None and remaining[found] > 0:
            remaining[found] -= 1
            loose[found[:3]] -= 1
        else:
            unmatched.append((finding, found))
    new = []
    for finding, found in unmatched:
        if found is not None and loose[found[:3]] > 0:
            loose[found[:3]] -= 1
        else:
            new.append(finding)
    matched = sum(known.values()) - sum(loose.values())
    return new, matched, sum(loose.values())
