"""`lock`: uv.lock is in sync with pyproject.toml (`uv lock --check`)."""

from __future__ import annotations

import re

from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps._base import Step, StepContext, register
from qdev.check.steps._util import judged
from qdev.tools.process import find_uv

OFFLINE = re.compile(
    r"error sending request|dns error|failed to lookup address|Connection refused|"
    r"network connectivity is disabled|the network was disabled|timed out",
    re.IGNORECASE,
)


def _last_line(text: str) -> str:
    return next((ln.strip() for ln in reversed(text.splitlines()) if ln.strip()), "")[:200]


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
        if result.ok:
            return judged(True, [], result.output, argv, passed="uv.lock is up to date", failed="")
        if OFFLINE.search(result.stderr):
            # uv could not ask the index: that says nothing about the lock either way.
            reason = f"uv could not reach the package index: {_last_line(result.stderr)}"
            return Outcome(Status.NOT_RUN, reason, (), result.output, tuple(argv))
        reason = next(
            (ln.strip() for ln in result.stderr.splitlines() if "error" in ln.lower()), ""
        )
        message = (
            "uv.lock does not match pyproject.toml; run `uv lock`, then `qdev env` "
            f"({reason or 'uv lock --check failed'})"
        )
        return judged(
            False,
            [Finding(message, "uv.lock", 1)],
            result.output,
            argv,
            passed="",
            failed="uv.lock is stale",
        )
