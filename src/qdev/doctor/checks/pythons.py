"""The Pythons the repo supports (project.python), as uv finds them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from qdev.doctor.context import DoctorContext
from qdev.doctor.model import Diagnosis, Verdict, ok, problem, register
from qdev.tools import process

# qdev may run inside another venv (`uv run qdev`, nox): the machine's Pythons are meant.
NOT_OURS = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON")


def find_python(uv: str, version: str, cwd: Path) -> str | None:
    """Where uv finds Python `version` without downloading one, or None."""
    result = process.run(
        [uv, "python", "find", "--system", "--no-python-downloads", version],
        cwd=cwd,
        env=process.child_env(drop=NOT_OURS),
        timeout=30,
    )
    return result.stdout.strip() or None if result.ok else None


@register
class Pythons(Diagnosis):
    id = "python"
    rank = 50
    in_repo = True
    requires = ("uv", "config")
    title = "the Pythons of project.python installed"
    why = (
        "qdev env, qdev check --matrix and nox make an environment for each supported Python; "
        "a missing one stops them with exit 3."
    )

    def diagnose(self, ctx: DoctorContext) -> Verdict:
        from qdev.environment import uv_binary

        uv, versions = uv_binary(), list(ctx.config.project.python)
        cwd = ctx.root or ctx.start
        with ThreadPoolExecutor(max_workers=len(versions)) as pool:
            paths = pool.map(lambda version: find_python(uv, version, cwd), versions)
            found = dict(zip(versions, paths, strict=True))
        missing = [version for version, path in found.items() if path is None]
        if missing:
            listed = ", ".join(missing)
            return problem(
                f"uv finds no Python {listed} (project.python) on this machine",
                f"uv python install {' '.join(missing)}   (or your platform's package manager)",
            )
        return ok(", ".join(f"{version} ({path})" for version, path in found.items()))
