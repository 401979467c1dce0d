"""`lock`: uv.lock is in sync with pyproject.toml (`uv lock --check`)."""

from __future__ import annotations

import re

from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps._base import Step, StepContext, register
from qdev.check.steps._util import OFFLINE, uv_failure
from qdev.tools.process import find_uv

TOML_ERROR = re.compile(
    r"pyproject\.toml.*TOML parse error at line (?P<line>\d+), column (?P<col>\d+)"
)


STALE = "needs to be updated"  # uv: "The lockfile at `uv.lock` needs to be updated, but ..."


@register
class Lock(Step):
    id = "lock"
    description = "uv lock --check: uv.lock matches pyproject.toml"

    def reads(self, ctx: StepContext) -> list[str]:
        return [
            path
            for path in ctx.files
            if path in ("pyproject.toml", "uv.lock") or path.endswith("/pyproject.toml")
        ]

    def execute(self, ctx: StepContext) -> Outcome:
        argv = [find_uv(), "lock", "--check", *self.options(ctx).args]
        result = ctx.run(argv, timeout=self.timeout(ctx))
        command = tuple(argv)
        if result.ok:
            return Outcome(Status.PASSED, "uv.lock is up to date", (), result.output, command)
        cause = uv_failure(result.stderr)
        if STALE in result.stderr:
            message = "uv.lock does not match pyproject.toml: run `uv lock`, then `qdev env`"
            finding = Finding(message, "uv.lock", 1)
            return Outcome(Status.FAILED, "uv.lock is stale", (finding,), result.output, command)
        if OFFLINE.search(result.stderr):
            # uv could not ask the index: that says nothing about the lock either way.
            reason = f"uv could not reach the package index: {cause}"
            return Outcome(Status.NOT_RUN, reason[:300], (), result.output, command)
        return Outcome(
            Status.FAILED,
            f"uv lock --check failed: {cause}"[:300],
            (_located(cause),),
            result.output,
            command,
        )


def _located(cause: str) -> Finding:
    """The failure, at the line of pyproject.toml uv names when it could not parse it."""
    match = TOML_ERROR.search(cause)
    if match:
        return Finding(cause, "pyproject.toml", int(match["line"]), int(match["col"]))
    return Finding(cause)
