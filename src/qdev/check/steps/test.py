"""`test`: pytest with coverage, failing below `check.coverage` percent."""

from __future__ import annotations

import re
from typing import Any

from qdev.check import _globs
from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps import _pytest_output as output
from qdev.check.steps._base import Step, StepContext, register
from qdev.check.steps._util import judged, tool_error

# Tracked files that cannot change a test run: docs, CI and hook config, the lock (its
# packages are keyed separately) and qdev's own config (keyed through the step's settings).
NOT_READ = (
    "**/*.md", "**/*.rst", "docs/**", ".github/**", ".gitlab-ci.yml", ".pre-commit-config.yaml",
    "LICENSE*", "**/.gitignore", "noxfile.py", "uv.lock", "qdev.toml", ".qdev/**",
)  # fmt: skip
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
        skipped = set(_globs.select(ctx.visible_files, NOT_READ))
        return [path for path in ctx.visible_files if path not in skipped]

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
        scratch = ctx.scratch or ctx.root
        coverage_json = scratch / "coverage.json"
        argv = [
            ctx.tool("pytest"), "-p", "no:cacheprovider", "-rfE", *self.cov_source(ctx),
            "--cov-report=term-missing", f"--cov-report=json:{coverage_json}",
            f"--cov-fail-under={ctx.config.check.coverage:g}", *self.options(ctx).args,
        ]  # fmt: skip
        # Each run gets its own data file, so two runs at once never mix their coverage.
        result = ctx.run(
            argv, timeout=self.timeout(ctx), env={"COVERAGE_FILE": str(scratch / ".coverage")}
        )
        command = tuple(argv)
        if result.returncode == 5:
            finding = Finding("no tests were collected")
            return Outcome(Status.FAILED, finding.message, (finding,), result.output, command)
        lines = result.stdout.splitlines()
        broken = output.import_failures(ctx, [*lines, *result.stderr.splitlines()])
        if broken:
            findings = (*broken, *output.failures(ctx, lines, skip={f.path for f in broken}))
            return Outcome(
                Status.FAILED, output.broken_summary(broken), findings, result.output, command
            )
        if result.returncode not in (0, 1):
            return tool_error(argv, result)
        failures = output.failures(ctx, lines)
        if failures:
            return judged(
                False, failures, result.output, argv, passed="", failed="{n} failing test{s}"
            )
        shortfall = next((m for m in map(COVER_FAIL.search, lines) if m), None)
        if shortfall:
            summary = f"coverage {shortfall['got']}% is under the required {shortfall['need']}%"
            uncovered = output.uncovered(ctx, coverage_json, lines)
            return Outcome(Status.FAILED, summary, tuple(uncovered), result.output, command)
        if not result.ok:  # failed, yet no test and no coverage shortfall says why
            return tool_error(argv, result)
        passed = next(
            (line.strip("= ") for line in reversed(lines) if " passed" in line), "tests passed"
        )
        return Outcome(Status.PASSED, passed, (), result.output, command)


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
