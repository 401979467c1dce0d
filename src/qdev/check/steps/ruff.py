"""`format` (ruff format) and `lint` (ruff check): --fix rewrites, --changed narrows the files."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps._base import Step, StepContext, register
from qdev.check.steps._util import PROJECT_FILES, config_files, judged, relative, tool_error
from qdev.check.toolcache import tool_cache

if TYPE_CHECKING:
    from qdev.tools.process import ProcessResult

RUFF_CONFIGS = (*PROJECT_FILES, "ruff.toml", ".ruff.toml")
RUFF_SUFFIXES = (".py", ".pyi", ".ipynb")  # ruff formats and lints notebooks too
# Newer ruff also formats the Python code blocks of Markdown files: they decide a cached format
# result too (an older ruff that skips them only costs a needless rerun).
FORMAT_INPUT_SUFFIXES = (*RUFF_SUFFIXES, ".md")
HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")
PARSE_ERROR = re.compile(
    r"^error: Failed to parse (?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$"
)


class _RuffStep(Step):
    tools = ("ruff",)
    uses_tool_cache = True
    baselined = True
    packages = ("ruff",)
    input_suffixes: tuple[str, ...] = RUFF_SUFFIXES

    def targets(self, ctx: StepContext) -> list[str] | None:
        """Files to pass to ruff, or None to let ruff find them all."""
        if ctx.changed is None:
            return None
        return [
            path
            for path in ctx.changed
            if path.endswith(RUFF_SUFFIXES) and (ctx.root / path).exists()
        ]

    def reads(self, ctx: StepContext) -> list[str]:
        targets = self.targets(ctx)
        if targets is None:  # ruff walks the folders, submodules included
            files = [path for path in ctx.visible_files if path.endswith(self.input_suffixes)]
        else:
            files = targets
        return [*files, *config_files(ctx, RUFF_CONFIGS)]

    def settings(self, ctx: StepContext) -> dict[str, Any]:
        return {**super().settings(ctx), "changed": self.targets(ctx)}


@register
class Format(_RuffStep):
    id = "format"
    description = "ruff format: code is formatted (--fix formats it)"
    input_suffixes = FORMAT_INPUT_SUFFIXES

    def execute(self, ctx: StepContext) -> Outcome:
        targets = self.targets(ctx)
        if targets == []:
            return Outcome(Status.PASSED, "no changed Python files")
        mode = [] if ctx.fix else ["--check", "--diff"]
        with tool_cache(ctx, self.id, self.reads(ctx)) as cache:
            argv = [
                ctx.tool("ruff"), "format", *mode, "--force-exclude", "--cache-dir", str(cache),
                *self.options(ctx).args, *(targets or []),
            ]  # fmt: skip
            result = ctx.run(argv, timeout=self.timeout(ctx))
        if result.returncode not in (0, 1):
            return _unparsable(ctx, argv, result) or tool_error(argv, result)
        findings = _diff_findings(ctx, result.stdout)
        if ctx.fix:
            return judged(
                result.ok,
                findings,
                result.output,
                argv,
                passed=result.stdout.strip() or "formatted",
                failed="",
            )
        return judged(
            result.ok,
            findings,
            result.output,
            argv,
            passed="formatted",
            failed="{n} place{s} not formatted (qdev check format --fix formats them)",
        )


def _unparsable(ctx: StepContext, argv: list[str], result: ProcessResult) -> Outcome | None:
    """Files ruff could not parse (it names them at the end, after the diff of the others)."""
    broken = [
        Finding(m["msg"], relative(ctx, m["path"]), int(m["line"]), int(m["col"]), "syntax")
        for m in map(PARSE_ERROR.match, result.stderr.splitlines())
        if m
    ]
    if not broken:
        return None
    first, more = broken[0], len(broken) - 1
    summary = f"{first.location()} cannot be parsed: {first.message}"[:200]
    if more:
        summary += f" (and {more} more file{'s' if more > 1 else ''})"
    findings = (*broken, *_diff_findings(ctx, result.stdout))
    return Outcome(Status.FAILED, summary, findings, result.output, tuple(argv))


def _diff_findings(ctx: StepContext, diff: str) -> list[Finding]:
    findings: list[Finding] = []
    path: str | None = None
    for line in diff.splitlines():
        if line.startswith("--- "):
            path = relative(ctx, line[4:].strip())
        elif path and (match := HUNK.match(line)):
            findings.append(
                Finding("not formatted as ruff format would", path, int(match.group(1)))
            )
    return findings


@register
class Lint(_RuffStep):
    id = "lint"
    description = "ruff check: lint rules pass (--fix applies safe fixes)"

    def execute(self, ctx: StepContext) -> Outcome:
        targets = self.targets(ctx)
        if targets == []:
            return Outcome(Status.PASSED, "no changed Python files")
        fix = ["--fix"] if ctx.fix else ["--no-fix"]
        with tool_cache(ctx, self.id, self.reads(ctx)) as cache:
            argv = [
                ctx.tool("ruff"), "check", *fix, "--output-format=json", "--force-exclude",
                "--cache-dir", str(cache), *self.options(ctx).args, *(targets or []),
            ]  # fmt: skip
            result = ctx.run(argv, timeout=self.timeout(ctx))
        try:
            raw: list[dict[str, Any]] = json.loads(result.stdout or "[]")
        except json.JSONDecodeError:
            return tool_error(argv, result)
        if result.returncode not in (0, 1):
            return tool_error(argv, result)
        findings = [_lint_finding(ctx, item) for item in raw]
        output = "\n".join(finding.render() for finding in findings) or result.stderr
        return judged(
            result.ok,
            findings,
            output,
            argv,
            passed="no lint problems",
            failed="{n} lint problem{s}",
        )


def _lint_finding(ctx: StepContext, item: dict[str, Any]) -> Finding:
    location = item.get("location") or {}
    return Finding(
        str(item.get("message", "")),
        relative(ctx, str(item.get("filename", ""))),
        location.get("row"),
        location.get("column"),
        item.get("code"),
    )
