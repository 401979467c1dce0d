"""Run every registered diagnosis (in threads, each after those it requires) and, with --fix,
repair the problems whose fix is safe, then diagnose again to show the state after."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from qdev.doctor.checks import ordered
from qdev.doctor.context import DoctorContext, build_context
from qdev.doctor.model import Diagnosis, DoctorReport, Status, Verdict, problem, skipped
from qdev.errors import QdevError

MAX_THREADS = 8


@dataclass(frozen=True)
class RepairOutcome:
    report: DoctorReport
    """The diagnosis after the repairs."""
    repaired: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)
    """Diagnosis id -> why its repair failed."""


def diagnose(start: Path) -> DoctorReport:
    started = time.monotonic()
    ctx = build_context(start)
    verdicts = _run_all(ctx)
    return _report(ctx, verdicts, started)


def diagnose_and_repair(start: Path) -> RepairOutcome:
    """Diagnose, apply every safe fix to the problems found, and diagnose again."""
    started = time.monotonic()
    ctx = build_context(start)
    before = _run_all(ctx)
    repaired: list[str] = []
    failed: dict[str, str] = {}
    for diagnosis in ordered():
        if diagnosis.finding(before[diagnosis.id]).repairable:
            try:
                diagnosis.repair(ctx)
                repaired.append(diagnosis.id)
            except QdevError as exc:
                failed[diagnosis.id] = exc.render()
    if not repaired:
        return RepairOutcome(_report(ctx, before, started), (), failed)
    ctx = build_context(start)
    after = _report(ctx, _run_all(ctx), started)
    findings = tuple(
        replace(finding, fixed=True)
        if finding.id in repaired and finding.status is Status.OK
        else finding
        for finding in after.findings
    )
    return RepairOutcome(replace(after, findings=findings), tuple(repaired), failed)


def _report(ctx: DoctorContext, verdicts: dict[str, Verdict], started: float) -> DoctorReport:
    findings = tuple(diagnosis.finding(verdicts[diagnosis.id]) for diagnosis in ordered())
    root = str(ctx.root) if ctx.root is not None else None
    return DoctorReport(root, findings, time.monotonic() - started)


def _run_all(ctx: DoctorContext) -> dict[str, Verdict]:
    """Each diagnosis once, in waves: a wave holds those whose requirements are all decided."""
    pending = ordered()
    verdicts: dict[str, Verdict] = {}
    with ThreadPoolExecutor(max_workers=MAX_THREADS) as pool:
        while pending:
            ready = [d for d in pending if all(r in verdicts for r in d.requires)]
            if not ready:  # a requirement cycle or an unknown id: a bug in qdev
                raise RuntimeError(f"diagnoses with unmet requirements: {pending}")
            futures = {d.id: pool.submit(_verdict, d, ctx, dict(verdicts)) for d in ready}
            for name, future in futures.items():
                verdicts[name] = future.result()
            pending = [d for d in pending if d.id not in verdicts]
    return verdicts


def _verdict(diagnosis: Diagnosis, ctx: DoctorContext, decided: dict[str, Verdict]) -> Verdict:
    if diagnosis.in_repo and ctx.root is None:
        return skipped("not in a repo (no pyproject.toml or qdev.toml here or above)")
    blocked = [name for name in diagnosis.requires if decided[name].status is not Status.OK]
    if blocked:
        return skipped(f"needs {', '.join(blocked)} to be ok first")
    try:
        return diagnosis.diagnose(ctx)
    except QdevError as exc:
        return problem(exc.message, exc.fix or "fix what the message says, then run qdev doctor")
