"""A release left half-done: its journal is still in the git dir."""

from __future__ import annotations

from qdev.doctor.context import DoctorContext
from qdev.doctor.model import Diagnosis, Verdict, ok, problem, register, skipped


@register
class HalfDoneRelease(Diagnosis):
    id = "release"
    rank = 90
    title = "no release left half-done"
    why = (
        "A release stopped midway (a crash, a cancelled CI job) leaves a commit or tag "
        "unpushed or unpublished, and the next release refuses until it is finished or undone."
    )

    def diagnose(self, ctx: DoctorContext) -> Verdict:
        from qdev.release import journal

        git_dir = journal.find_git_dir(ctx.root or ctx.start)
        if git_dir is None:
            return skipped("not a git repository")
        try:
            pending = journal.load(git_dir)
        except journal.JournalDamaged as exc:
            return problem(exc.message, exc.fix or "qdev release --abort")
        if pending is None:
            return ok("no release in progress")
        done = ", ".join(pending.done) or "nothing"
        left = ", ".join(pending.remaining)
        pushed = "pushed" if pending.pushed else "not pushed"
        return problem(
            f"release {pending.version} is half-done ({pushed}): done {done}; left {left}",
            "qdev release --continue   (or `qdev release --abort` to undo what is not pushed)",
        )
