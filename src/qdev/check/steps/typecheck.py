"""`typecheck`: mypy (default) or pyright, as `check.typecheck.tool` says."""

from __future__ import annotations

import json
import re
from typing import Any

from qdev.check.model import Finding, Outcome
from qdev.check.steps._base import PYTHON_SUFFIXES, Step, StepContext, register
from qdev.check.steps._util import PROJECT_FILES, config_files, judged, relative, tool_error
from qdev.check.toolcache import tool_cache

TYPE_CONFIGS = (*PROJECT_FILES, "mypy.ini", ".mypy.ini", "pyrightconfig.json", "py.typed")
MYPY_LINE = re.compile(
    r"^(?P<path>[^:\n]+\.pyi?):(?P<line>\d+):(?:(?P<col>\d+):)? error: "
    r"(?P<msg>.*?)(?:  \[(?P<code>[a-z-]+)\])?$"
)


@register
class Typecheck(Step):
    id = "typecheck"
    description = "mypy (or pyright): the code type-checks"
    packages = ("*",)  # third-party stubs and inline types come from every locked package
    weight = 3
    uses_tool_cache = True
    baselined = True

    def tool_name(self, ctx: StepContext) -> str:
        return ctx.config.check.typecheck.tool

    def needed_tools(self, ctx: StepContext) -> tuple[str, ...]:
        return (self.tool_name(ctx),)

    def reads(self, ctx: StepContext) -> list[str]:
        # mypy follows imports and walks its target folders, into submodules too
        seen = [path for path in ctx.visible_files if path.endswith(PYTHON_SUFFIXES)]
        return [*seen, *config_files(ctx, TYPE_CONFIGS)]

    def targets(self, ctx: StepContext) -> list[str]:
        settings = ctx.tool_settings(self.tool_name(ctx))
        if settings.get("files") or settings.get("include") or _files_elsewhere(ctx):
            return []
        from qdev.project.facts import read_sources

        real = read_sources(ctx.root).checked_paths
        if real:
            return ctx.existing(real)  # the repo's real packages, whatever its layout
        folders = [
            name
            for name in ("src", "tests")
            if any(p.startswith(f"{name}/") for p in ctx.python_files())
        ]
        return folders or ctx.existing(ctx.python_files())

    def execute(self, ctx: StepContext) -> Outcome:
        if self.tool_name(ctx) == "pyright":
            return self._pyright(ctx)
        with tool_cache(ctx, self.id, self.reads(ctx)) as cache:
            argv = [
                ctx.tool("mypy"), "--show-column-numbers", "--no-error-summary",
                "--no-color-output", "--python-executable", str(ctx.venv / "bin" / "python"),
                "--cache-dir", str(cache), *self.options(ctx).args, *self.targets(ctx),
            ]  # fmt: skip
            result = ctx.run(argv, timeout=self.timeout(ctx))
        if result.returncode not in (0, 1):
            return tool_error(argv, result)
        findings = [
            Finding(m["msg"], relative(ctx, m["path"]), int(m["line"]), _int(m["col"]), m["code"])
            for m in map(MYPY_LINE.match, result.stdout.splitlines())
            if m
        ]
        return judged(
            result.ok,
            findings,
            result.output,
            argv,
            passed="no type errors",
            failed="{n} type error{s}",
        )

    def _pyright(self, ctx: StepContext) -> Outcome:
        argv = [
            ctx.tool("pyright"), "--outputjson", "--pythonpath", str(ctx.venv / "bin" / "python"),
            *self.options(ctx).args, *self.targets(ctx),
        ]  # fmt: skip
        result = ctx.run(argv, timeout=self.timeout(ctx))
        try:
            report: dict[str, Any] = json.loads(result.stdout)
        except json.JSONDecodeError:
            return tool_error(argv, result)
        findings = pyright_findings(ctx, report)
        output = "\n".join(finding.render() for finding in findings)
        return judged(
            result.ok, findings, output, argv, passed="no type errors", failed="{n} type error{s}"
        )


def _files_elsewhere(ctx: StepContext) -> bool:
    """mypy's own `files` set in mypy.ini, .mypy.ini or setup.cfg: mypy knows what to check."""
    from qdev.project._legacy import cfg_get, read_setup_cfg

    for name in ("mypy.ini", ".mypy.ini", "setup.cfg"):
        if cfg_get(read_setup_cfg(ctx.root / name), "mypy", "files"):
            return True
    return False


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def pyright_findings(ctx: StepContext, report: dict[str, Any]) -> list[Finding]:
    """Errors from `pyright --outputjson`, whose lines and characters count from 0."""
    return [
        Finding(
            str(diag.get("message", "")),
            relative(ctx, str(diag.get("file", ""))),
            int(diag["range"]["start"]["line"]) + 1,
            int(diag["range"]["start"]["character"]) + 1,
            diag.get("rule"),
        )
        for diag in report.get("generalDiagnostics", [])
        if diag.get("severity") == "error"
    ]
