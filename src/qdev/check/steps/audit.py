"""`audit`: pip-audit over the locked requirements (`uv export --frozen`).

A package the vulnerability service could not answer for makes the step NOT RUN, never
passed: an audit that did not happen must not look like a clean one.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps._base import Step, StepContext, register
from qdev.check.steps._util import tool_error
from qdev.tools.process import find_uv


@register
class Audit(Step):
    id = "audit"
    description = "pip-audit: no locked dependency has a known vulnerability"
    tools = ("pip-audit",)
    packages = ("*",)
    weight = 2

    def reads(self, ctx: StepContext) -> list[str]:
        return [path for path in ctx.files if path == "uv.lock"]

    def settings(self, ctx: StepContext) -> dict[str, Any]:
        # Advisories appear every day: a clean audit holds for the day it was made.
        return {**super().settings(ctx), "day": datetime.date.today().isoformat()}

    def execute(self, ctx: StepContext) -> Outcome:
        scratch = ctx.scratch or ctx.root
        requirements = scratch / "audit-requirements.txt"
        export = [
            find_uv(), "export", "--frozen", "--format", "requirements-txt", "--all-groups",
            "--no-emit-project", "--no-header", "--quiet", "-o", str(requirements),
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
            last = next(
                (ln for ln in reversed(result.output.splitlines()) if ln.strip()), "no output"
            )
            reason = f"pip-audit could not reach the vulnerability service: {last.strip()[:200]}"
            return Outcome(Status.NOT_RUN, reason, (), result.output, tuple(argv))
        return _judge(ctx, report, result.output, argv)


def _judge(ctx: StepContext, report: dict[str, Any], output: str, argv: list[str]) -> Outcome:
    deps: list[dict[str, Any]] = report.get("dependencies", [])
    lock_text = (
        (ctx.root / "uv.lock").read_text(encoding="utf-8")
        if (ctx.root / "uv.lock").exists()
        else ""
    )
    findings = [
        Finding(
            f"{dep['name']} {dep.get('version', '')} has {vuln.get('id')}"
            + (
                f" (fixed in {', '.join(vuln['fix_versions'])})" if vuln.get("fix_versions") else ""
            ),
            "uv.lock",
            _lock_line(lock_text, str(dep["name"])),
            code=str(vuln.get("id")),
        )
        for dep in deps
        for vuln in dep.get("vulns") or []
    ]
    if findings:
        n = len(findings)
        return Outcome(
            Status.FAILED,
            f"{n} known vulnerabilit{'y' if n == 1 else 'ies'}",
            tuple(findings),
            output,
            tuple(argv),
        )
    skipped = [dep for dep in deps if dep.get("skip_reason")]
    if skipped:
        reason = (
            f"{len(skipped)} of {len(deps)} locked packages could not be audited: "
            f"{skipped[0]['skip_reason']}"
        )
        return Outcome(Status.NOT_RUN, reason, (), output, tuple(argv))
    return Outcome(
        Status.PASSED,
        f"{len(deps)} locked packages, no known vulnerabilities",
        (),
        output,
        tuple(argv),
    )


def _lock_line(lock_text: str, name: str) -> int | None:
    match = re.search(rf'^name = "{re.escape(name)}"$', lock_text, re.MULTILINE)
    return lock_text.count("\n", 0, match.start()) + 1 if match else None
