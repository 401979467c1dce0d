"""`audit`: the locked dependencies against a vulnerability service.

uv's own `uv audit` reads uv.lock directly (every extra and group) where the installed uv has
it; an older uv falls back to pip-audit over `uv export --frozen`. A vulnerability service that
could not be reached, or packages it could not answer for, make the step NOT RUN, never
passed: an audit that did not happen must not look like a clean one.
"""

from __future__ import annotations

import datetime
import json
import re
from functools import lru_cache
from typing import Any

from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps._base import Step, StepContext, register
from qdev.check.steps._util import OFFLINE, real_cause, tool_error, uv_failure
from qdev.tools.process import ProcessResult, find_uv
from qdev.tools.process import run as run_process

UNREACHED_URL = re.compile(r"error sending request for url \((?P<url>[^)]+)\)")


@lru_cache(maxsize=4)
def uv_can_audit(uv: str) -> bool:
    """Whether this uv has `uv audit` (uv 0.10 and later)."""
    return run_process([uv, "audit", "--help"], timeout=30).ok


@register
class Audit(Step):
    id = "audit"
    description = "uv audit (or pip-audit): no locked dependency has a known vulnerability"
    packages = ("*",)
    weight = 2

    def auditor(self) -> str:
        return "uv" if uv_can_audit(find_uv()) else "pip-audit"

    def needed_tools(self, ctx: StepContext) -> tuple[str, ...]:
        return () if self.auditor() == "uv" else ("pip-audit",)

    def reads(self, ctx: StepContext) -> list[str]:
        return [path for path in ctx.files if path == "uv.lock"]

    def settings(self, ctx: StepContext) -> dict[str, Any]:
        # Advisories appear every day: a clean audit holds for the day it was made.
        day = datetime.date.today().isoformat()
        return {**super().settings(ctx), "day": day, "auditor": self.auditor()}

    def execute(self, ctx: StepContext) -> Outcome:
        if self.auditor() == "uv":
            return self._uv_audit(ctx)
        return self._pip_audit(ctx)

    def _uv_audit(self, ctx: StepContext) -> Outcome:
        argv = [
            find_uv(), "audit", "--frozen", "--output-format", "json",
            "--preview-features", "audit-command,json-output", *self.options(ctx).args,
        ]  # fmt: skip
        result = ctx.run(argv, timeout=self.timeout(ctx))
        try:
            report: dict[str, Any] = json.loads(result.stdout)
        except json.JSONDecodeError:
            return _uv_audit_failed(argv, result)
        vulnerabilities = [
            (
                str(item.get("dependency", {}).get("name", "")),
                str(item.get("dependency", {}).get("version", "")),
                str(item.get("display_id") or item.get("id")),
                list(item.get("fix_versions") or []),
                str(item.get("summary") or ""),
            )
            for item in report.get("vulnerabilities", [])
        ]
        audited = int(report.get("summary", {}).get("audited_packages", 0))
        return _judged(ctx, vulnerabilities, audited, result.output, argv)

    def _pip_audit(self, ctx: StepContext) -> Outcome:
        requirements = (ctx.scratch or ctx.root) / "audit-requirements.txt"
        export = [
            find_uv(), "export", "--frozen", "--format", "requirements-txt", "--all-groups",
            "--all-extras", "--no-emit-project", "--no-header", "--quiet", "-o", str(requirements),
        ]  # fmt: skip
        exported = ctx.run(export, timeout=self.timeout(ctx))
        if not exported.ok:
            return tool_error(export, exported)
        argv = [
            ctx.tool("pip-audit"), "-r", str(requirements), "--disable-pip", "--format", "json",
            "--progress-spinner", "off", *self.options(ctx).args,
        ]  # fmt: skip
        result = ctx.run(argv, timeout=self.timeout(ctx))
        try:
            report: dict[str, Any] = json.loads(result.stdout)
        except json.JSONDecodeError:
            reason = real_cause(result.stdout, result.stderr)[:200]
            summary = f"the vulnerability service could not be reached ({reason})"
            return Outcome(Status.NOT_RUN, summary, (), result.output, tuple(argv))
        return _judge_pip_audit(ctx, report, result.output, argv)


def _uv_audit_failed(argv: list[str], result: ProcessResult) -> Outcome:
    cause = uv_failure(result.stderr)
    if OFFLINE.search(result.stderr):
        unreached = UNREACHED_URL.search(result.stderr)
        where = f" at {unreached['url']}" if unreached else ""
        last = _last_cause(result.stderr)
        summary = f"the vulnerability service{where} could not be reached ({last})"
        return Outcome(Status.NOT_RUN, summary[:300], (), result.output, tuple(argv))
    return Outcome(
        Status.FAILED, f"uv audit failed: {cause}"[:300], (Finding(cause),), result.output,
        tuple(argv),
    )  # fmt: skip


def _last_cause(stderr: str) -> str:
    causes = [ln.split("cause:", 1)[1].strip() for ln in stderr.splitlines() if "cause:" in ln]
    return causes[-1] if causes else "no answer"


Vulnerability = tuple[str, str, str, list[str], str]
"""(package, version, advisory id, fixed in, summary)"""


def _judged(
    ctx: StepContext,
    vulnerabilities: list[Vulnerability],
    audited: int,
    output: str,
    argv: list[str],
) -> Outcome:
    if not vulnerabilities:
        summary = f"{audited} locked packages, no known vulnerabilities"
        return Outcome(Status.PASSED, summary, (), output, tuple(argv))
    lock_text = _lock_text(ctx)
    findings = tuple(
        Finding(
            f"{name} {version} has {advisory}"
            + (f" (fixed in {', '.join(fixed)})" if fixed else "")
            + (f": {about}" if about else ""),
            "uv.lock",
            _lock_line(lock_text, name),
            code=advisory,
        )
        for name, version, advisory, fixed, about in vulnerabilities
    )
    n = len(findings)
    summary = f"{n} known vulnerabilit{'y' if n == 1 else 'ies'}"
    return Outcome(Status.FAILED, summary, findings, output, tuple(argv))


def _judge_pip_audit(
    ctx: StepContext, report: dict[str, Any], output: str, argv: list[str]
) -> Outcome:
    deps: list[dict[str, Any]] = report.get("dependencies", [])
    vulnerabilities = [
        (
            str(dep["name"]),
            str(dep.get("version", "")),
            str(vuln.get("id")),
            list(vuln.get("fix_versions") or []),
            "",
        )
        for dep in deps
        for vuln in dep.get("vulns") or []
    ]
    skipped = [dep for dep in deps if dep.get("skip_reason")]
    if skipped and not vulnerabilities:
        first = f"{skipped[0]['name']}: {skipped[0]['skip_reason']}"
        if len(skipped) == len(deps):
            reason = f"the vulnerability service answered for none of the {len(deps)} locked "
        else:
            reason = f"the vulnerability service did not answer for {len(skipped)} of the "
            reason += f"{len(deps)} locked "
        reason += f"packages ({first})"
        return Outcome(Status.NOT_RUN, reason[:300], (), output, tuple(argv))
    return _judged(ctx, vulnerabilities, len(deps), output, argv)


def _lock_text(ctx: StepContext) -> str:
    try:
        return (ctx.root / "uv.lock").read_text(encoding="utf-8")
    except OSError:
        return ""


def _lock_line(lock_text: str, name: str) -> int | None:
    match = re.search(rf'^name = "{re.escape(name)}"$', lock_text, re.MULTILINE)
    return lock_text.count("\n", 0, match.start()) + 1 if match else None
