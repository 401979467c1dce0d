"""The repo against its team profile: drift in the managed files, and managed files git ignores."""

from __future__ import annotations

from pathlib import Path

from qdev.doctor.context import DoctorContext
from qdev.doctor.model import Diagnosis, Verdict, ok, problem, register, skipped

ALWAYS_MANAGED = (
    "pyproject.toml",
    "qdev.toml",
    "uv.lock",
    ".pre-commit-config.yaml",
    ".qdev/state.toml",
)


@register
class ProfileDrift(Diagnosis):
    id = "profile"
    rank = 80
    in_repo = True
    requires = ("config",)
    title = "managed files up to date with the team profile"
    why = (
        "The files the profile manages (pyproject.toml, hooks, CI, noxfile) are the team's "
        "standard; a repo behind its profile checks, builds and releases unlike the others, "
        "and CI's `qdev sync --check` fails."
    )

    def diagnose(self, ctx: DoctorContext) -> Verdict:
        from qdev.profile import state
        from qdev.profile.drift import check_drift

        root = ctx.root
        assert root is not None
        if state.read(root) is None:
            return skipped(f"no {state.STATE_FILE}: no profile was applied here (qdev init)")
        report = check_drift(root)
        pinned = f"{report.pinned.profile} {report.pinned.version}"
        if report.ok:
            return ok(f"up to date with profile {pinned}")
        listed = "; ".join(f"{d.path} ({d.reason.value})" for d in report.drifts)
        return problem(f"drifted from profile {pinned}: {listed}", "qdev sync")


def managed_paths(root: Path) -> list[str]:
    from qdev.profile import state

    recorded = state.read(root)
    paths = set(recorded.files) if recorded else set()
    paths.update(path for path in ALWAYS_MANAGED if (root / path).exists())
    return sorted(paths)


@register
class Gitignore(Diagnosis):
    id = "gitignore"
    rank = 85
    in_repo = True
    requires = ("git",)
    title = ".gitignore hides no managed file"
    why = (
        "A managed file a .gitignore rule matches is left out by `git add`, so clones and CI "
        "run without it (or with a stale copy)."
    )

    def diagnose(self, ctx: DoctorContext) -> Verdict:
        from qdev.tools import git

        root = ctx.root
        assert root is not None
        if ctx.git_root() is None:
            return skipped("not a git repository")
        hidden = git.ignored_by(root, managed_paths(root))
        if not hidden:
            return ok("every managed file is visible to git")
        found = [(path, *rule.split(":", 2)) for path, rule in hidden.items()]
        listed = "; ".join(f"{path} by `{rule}` ({src}:{line})" for path, src, line, rule in found)
        rules_at = ", ".join(dict.fromkeys(f"{src}:{line}" for _, src, line, _ in found))
        return problem(
            f"ignored: {listed}",
            f"delete the rule at {rules_at} (or add `!PATH` lines after it), then `git add` them",
        )
