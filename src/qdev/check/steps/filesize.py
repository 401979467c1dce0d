"""`filesize`: no tracked file above check.filesize.max_kb; data belongs in the data folder.

From the pre-commit hook it refuses a commit that adds a large file: pre-commit puts unstaged
changes aside first, so the tracked files on disk are then exactly what is being committed.
"""

from __future__ import annotations

import stat

from qdev.check import _globs
from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps._base import Step, StepContext, register
from qdev.research.progress import human


@register
class Filesize(Step):
    id = "filesize"
    description = "no tracked file above check.filesize.max_kb (data goes in the data folder)"

    def cacheable(self, ctx: StepContext) -> bool:
        return False  # a stat per tracked file costs less than hashing them for a cache key

    def execute(self, ctx: StepContext) -> Outcome:
        options = ctx.config.check.filesize
        limit = options.max_kb * 1024
        allowed = set(_globs.select(ctx.tracked, options.allow))
        data_dir = ctx.config.research.data_dir
        findings = []
        for path in ctx.tracked:
            try:
                info = (ctx.root / path).lstat()
            except OSError:  # deleted in the working tree: not being committed
                continue
            if stat.S_ISREG(info.st_mode) and info.st_size > limit and path not in allowed:
                findings.append(
                    Finding(
                        f"{human(info.st_size)} is over the {human(limit)} limit "
                        f"(check.filesize.max_kb): keep data in {data_dir}/ (qdev data add), "
                        "or list the file in check.filesize.allow",
                        path,
                    )
                )
        if not findings:
            summary = f"{len(ctx.tracked)} tracked files, none over {human(limit)}"
            return Outcome(Status.PASSED, summary)
        noun = "file is" if len(findings) == 1 else "files are"
        return Outcome(
            Status.FAILED, f"{len(findings)} {noun} over {human(limit)}", tuple(findings)
        )
