"""`test`: pytest with coverage, failing below `check.coverage` percent."""

from __future__ import annotations

import re
from typing import Any

from qdev.check import _globs
from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps._base import Step, StepContext, register
from qdev.check.steps._util import judged, relative, tool_error

# Tracked files that cannot change a test run: docs, CI and hook config, the lock (its
# packages are keyed separately) and qdev's own config (keyed through the step's settings).
NOT_READ = (
    "**/*.md", "**/*.rst", "docs/**", ".github/**", ".gitlab-ci.yml", ".pre-commit-config.yaml",
    "LICENSE*", "**/.gitignore", "noxfile.py", "uv.lock", "qdev.toml", ".qdev/**",
)  # fmt: skip
TRACEBACK_LINE = re.compile(r"^(?P<path>[^\s:][^:]*\.py):(?P<line>\d+): (?P<error>\w+)$")
FAILED_LINE = re.compile(
    r"^(?:FAILED|ERROR) (?P<node>[^\s:]+\.py)(?:::(?P<test>\S+))?(?: - (?P<msg>.*))?$"
)
COVER_ROW = re.compile(
    r"^(?P<path>\S+\.py)\s+\d+\s+\d+\s+(?:\d+\s+\d+\s+)?\d+%\s+(?P<missing>\d.*)$"
)
COVER_FAIL = re.compile(
    r"FAIL Required test coverage of (?P<need>[\d.]+)% not reached\. "
    r"Total coverage: (?P<got>[\d.]+)%"
)


@register
class Test(Step):
    id = "test"
    description = "pytest with coverage at or above check.coverage percent"
    tools = ("pytest",)
    packages = ("*",)
    weight = 4

    def reads(self, ctx: StepContext) -> list[str]:
        skipped = set(_globs.select(ctx.files, NOT_READ))
        return [path for path in ctx.files if path not in skipped]

    def settings(self, ctx: StepContext) -> dict[str, Any]:
        return {**super().settings(ctx), "coverage": ctx.config.check.coverage}

    def cov_source(self, ctx: StepContext) -> list[str]:
        if ctx.tool_settings("coverage").get("run", {}).get("source") or _source_elsewhere(ctx):
            return ["--cov"]
        from qdev.project.facts import read_sources

        packages = read_sources(ctx.root).packages
        if packages:
            return [f"--cov={package}" for package in packages]  # the real packages, by name
        return ["--cov=src"] if (ctx.root / "src").is_dir() else ["--cov=."]

    def execute(self, ctx: StepContext) -> Outcome:
        threshold = ctx.config.check.coverage
        argv = [
            ctx.tool("pytest"), "-p", "no:cacheprovider", "-rfE", *self.cov_source(ctx),
            "--cov-report=term-missing", f"--cov-fail-under={threshold:g}", *self.options(ctx).args,
        ]  # fmt: skip
        scratch = ctx.scratch or ctx.root
        # Each run gets its own data file, so two runs at once never mix their coverage.
        result = ctx.run(
            argv, timeout=self.timeout(ctx), env={"COVERAGE_FILE": str(scratch / ".coverage")}
        )
        if result.returncode == 5:
            return Outcome(
                Status.FAILED,
                "no tests were collected",
                (Finding("no tests were collected"),),
                result.output,
                tuple(argv),
            )
        if result.returncode not in (0, 1):
            return tool_error(argv, result.returncode, result.output)
        lines = result.stdout.splitlines()
        failures = _failures(ctx, lines)
        if failures:
            return judged(
                False, failures, result.output, argv, passed="", failed="{n} failing test{s}"
            )
        shortfall = next((m for m in map(COVER_FAIL.search, lines) if m), None)
        if shortfall:
            summary = f"coverage {shortfall['got']}% is under the required {shortfall['need']}%"
            return Outcome(
                Status.FAILED, summary, tuple(_uncovered(ctx, lines)), result.output, tuple(argv)
            )
        passed = next(
            (line.strip("= ") for line in reversed(lines) if " passed" in line), "tests passed"
        )
        return judged(result.ok, [], result.output, argv, passed=passed, failed="tests failed")


def _source_elsewhere(ctx: StepContext) -> bool:
    """coverage's `source` set in .coveragerc, setup.cfg or tox.ini: coverage knows it."""
    from qdev.project._legacy import cfg_get, read_setup_cfg

    for name, section in (
        (".coveragerc", "run"),
        ("setup.cfg", "coverage:run"),
        ("tox.ini", "coverage:run"),
    ):
        if cfg_get(read_setup_cfg(ctx.root / name), section, "source"):
            return True
    return False


def _failures(ctx: StepContext, lines: list[str]) -> list[Finding]:
    located = [
        Finding(m["error"], relative(ctx, m["path"]), int(m["line"]))
        for m in map(TRACEBACK_LINE.match, lines)
        if m
    ]
    summary = [m for m in map(FAILED_LINE.match, lines) if m]
    if len(located) == len(summary):
        return [
            Finding(
                f"{m['test'] or 'collection'} failed: {m['msg'] or found.message}",
                found.path,
                found.line,
            )
            for found, m in zip(located, summary, strict=True)
        ]
    return located or [
        Finding(
            f"{m['test'] or 'collection'} failed: {m['msg'] or ''}".rstrip(": "),
            relative(ctx, m["node"]),
        )
        for m in summary
    ]


def _uncovered(ctx: StepContext, lines: list[str]) -> list[Finding]:
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
