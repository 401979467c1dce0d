"""Custom steps from `check.custom`: an argument list, a working folder, environment, deps."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from qdev.check import _globs
from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps._base import Step, StepContext
from qdev.check.steps._util import real_cause
from qdev.errors import ConfigError

if TYPE_CHECKING:
    from qdev.config.models import CustomStep as CustomConfig
    from qdev.config.models import StepOptions

# A `file:line: message` at the start of a line, as most tools print them.
LOCATED = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?:(?P<col>\d+):)?\s*(?P<msg>.*)$")


class Custom(Step):
    packages = ("*",)

    def __init__(self, step_id: str, definition: CustomConfig) -> None:
        self.step_id = step_id
        self.definition = definition

    @property
    def name(self) -> str:
        return self.step_id

    def options(self, ctx: StepContext) -> StepOptions:
        from qdev.config.models import StepOptions

        return StepOptions(timeout=self.definition.timeout)

    def enabled(self, ctx: StepContext) -> bool:
        return True

    def timeout(self, ctx: StepContext) -> float:
        return self.definition.timeout

    def depends_on(self, ctx: StepContext) -> list[str]:
        return list(self.definition.depends_on)

    def needed_tools(self, ctx: StepContext) -> tuple[str, ...]:
        return ()

    def reads(self, ctx: StepContext) -> list[str]:
        return _globs.select(ctx.visible_files, self.definition.inputs)

    def settings(self, ctx: StepContext) -> dict[str, Any]:
        return {"custom": self.definition.model_dump(mode="json")}

    def execute(self, ctx: StepContext) -> Outcome:
        cwd = (ctx.root / self.definition.cwd).resolve()
        if not cwd.is_dir() or not cwd.is_relative_to(ctx.root.resolve()):
            where = f"check.custom.{self.step_id}.cwd"
            raise ConfigError([f"{where}: {self.definition.cwd} is not a folder inside the repo"])
        argv = list(self.definition.run)
        local = ctx.venv / "bin" / argv[0]
        if "/" not in argv[0] and local.exists():
            argv[0] = str(local)
        result = ctx.run(argv, timeout=self.timeout(ctx), cwd=cwd, env=self.definition.env)
        if result.ok:
            last = next(
                (ln.strip() for ln in reversed(result.stdout.splitlines()) if ln.strip()), ""
            )
            return Outcome(Status.PASSED, last[:160] or "passed", (), result.output, tuple(argv))
        findings = [
            Finding(m["msg"], m["path"], int(m["line"]), int(m["col"]) if m["col"] else None)
            for m in map(LOCATED.match, result.output.splitlines())
            if m
        ]
        summary = f"{argv[0].rsplit('/', 1)[-1]} exited with {result.returncode}"
        if not findings:  # nothing located: the summary says what went wrong
            summary += f": {real_cause(result.stdout, result.stderr)[:200]}"
        return Outcome(Status.FAILED, summary, tuple(findings), result.output, tuple(argv))
