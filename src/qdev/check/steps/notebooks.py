"""`notebooks`: the configured notebooks run top to bottom in .venv; none has outputs in git."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from qdev.check.model import Outcome
from qdev.check.steps._base import Step, StepContext, register


@register
class Notebooks(Step):
    id = "notebooks"
    description = "the notebooks run top to bottom in .venv (nbclient); no outputs in git"
    packages = ("*",)  # the kernel imports whatever the notebooks import
    weight = 4

    def reads(self, ctx: StepContext) -> list[str]:
        from qdev.research import notebooks

        options = ctx.config.check.notebooks
        return notebooks.inputs(ctx.files, notebooks.selected(ctx.files, options))

    def settings(self, ctx: StepContext) -> dict[str, Any]:
        from qdev.research import notebooks

        options = ctx.config.check.notebooks
        kept = options.model_dump(mode="json", exclude={"timeout", "parameters", "ci_parameters"})
        return {
            "options": kept,
            "parameters": notebooks.parameters(options, os.environ),
            "datasets": {name: d.sha256 for name, d in ctx.config.research.data.items()},
            "staged": notebooks.staged_notebooks(ctx.root),
        }

    def execute(self, ctx: StepContext) -> Outcome:
        from qdev.research import notebooks

        options = ctx.config.check.notebooks
        outputs = notebooks.committed_outputs(ctx.root, notebooks.staged_notebooks(ctx.root))
        chosen = notebooks.selected(ctx.files, options)
        runs = notebooks.run_all(ctx, chosen, options, self.timeout(ctx)) if chosen else []
        failures = [notebooks.failure_finding(ctx.root, run) for run in runs if not run.passed]
        command = (str(ctx.venv / "bin" / "python"), str(notebooks.RUNNER), *chosen)
        return replace(notebooks.outcome(runs, failures, outputs), command=command)
