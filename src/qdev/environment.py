"""`qdev env`: the repo's `.venv` made from `uv.lock` by uv, its git hook, its interpreter checked.

After a successful sync the marker in `.venv` records the lock's hash (`qdev.envstate`), which is
how `qdev check` knows the environment matches the lock.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qdev import envstate
from qdev.errors import QdevError, ToolMissing, UsageError
from qdev.tools import process

if TYPE_CHECKING:
    from concurrent.futures import Future

SYNC_TIMEOUT = 900.0
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
PYTHON_VERSION_LIKE = re.compile(r"^3\.\d{1,2}$")


class StaleLock(UsageError):
    """`--frozen` and uv.lock does not match pyproject.toml (or there is no lock)."""


@dataclass(frozen=True)
class EnvReport:
    root: Path
    python: str
    """The environment's interpreter version, e.g. 3.11.7."""
    hook: str
    """"installed", or why the git hook was not installed."""
    seconds: float
    kernel: str | None = None
    """Research repos: the Jupyter kernel registered for .venv, or why not."""


def uv_binary() -> str:
    """QDEV_UV when set (a pinned uv for this machine), else uv from PATH or qdev's own."""
    pinned = os.environ.get("QDEV_UV")
    if pinned:
        if not (os.path.isfile(pinned) and os.access(pinned, os.X_OK)):
            raise ToolMissing(
                f"uv is not at {pinned} (QDEV_UV)",
                fix="unset QDEV_UV, or point it at a uv binary (python3 -m pip install uv)",
            )
        return pinned
    return process.find_uv()


def ensure_env(
    start: Path | None = None,
    *,
    frozen: bool = False,
    python: str | None = None,
    git_ready: Future[Any] | None = None,
) -> EnvReport:
    """Create or update `<root>/.venv` from the lock and verify it; return what was done.

    The git hook is installed beside the checks of the interpreter, once `git_ready` is done
    when given (`qdev init` runs `git init` beside the sync)."""
    from qdev.config.loader import load_config

    started = time.monotonic()
    loaded = load_config(start)
    root, supported = loaded.root, loaded.config.project.python
    if not (root / "pyproject.toml").is_file():
        raise UsageError(f"{root} has no pyproject.toml", fix="run `qdev init` to set the repo up")
    uv = uv_binary()
    if python:
        _require_python(uv, python, root)
    argv = [
        uv,
        "sync",
        *(["--locked"] if frozen else []),
        *(["--python", python] if python else []),
    ]
    result = process.run(
        [*argv, *loaded.config.env.uv_args], cwd=root, env=_uv_env(), timeout=SYNC_TIMEOUT
    )
    if not result.ok:
        raise _sync_failure(result.output, frozen=frozen, python=python)
    from concurrent.futures import ThreadPoolExecutor

    from qdev.research.kernel import register_if_wanted

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="qdev-hook") as pool:
        # the hook needs the synced pre-commit, not these checks: a second process meanwhile
        hooked = pool.submit(_install_hook_after, root, git_ready)
        version = _check_interpreter(root)
        _verify(version, supported, python)
        envstate.write_marker(root, version)
        kernel = register_if_wanted(root, loaded.config)
        hook = hooked.result()
    return EnvReport(root, version, hook, time.monotonic() - started, kernel)


def _uv_env() -> dict[str, str]:
    # qdev may itself run inside another venv (`uv run qdev`, a nox session that points uv at
    # its own venv): the repo's own .venv and the configured Python are meant.
    return process.child_env(
        {"UV_NO_PROGRESS": "1"}, drop=("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON")
    )


def _require_python(uv: str, python: str, root: Path) -> None:
    found = process.run(
        [uv, "python", "find", "--no-python-downloads", python], cwd=root, env=_uv_env()
    )
    if not found.ok:
        raise ToolMissing(
            f"Python {python} was not found on this machine",
            fix=f"uv python install {python}   (or with your platform's package manager)",
        )


def _sync_failure(output: str, *, frozen: bool, python: str | None) -> QdevError:
    detail = output.strip()
    if frozen and re.search(r"needs to be updated|--locked|Unable to find lockfile", detail):
        return StaleLock(
            f"uv.lock does not match pyproject.toml (--frozen):\n{detail}",
            fix="run `qdev env` (or `uv lock`) and commit uv.lock",
        )
    if re.search(r"No interpreter found|No Python at|not found in managed installations", detail):
        wanted = python or "the project's Python"
        return ToolMissing(
            f"uv could not find {wanted}:\n{detail}",
            fix=f"uv python install {python or ''}".rstrip() + "   (then run qdev env again)",
        )
    return QdevError(
        f"uv sync failed:\n{detail}", fix="fix what uv reports, then run qdev env again"
    )


def _check_interpreter(root: Path) -> str:
    """The environment's Python version, and the project's own packages imported from it, in
    one start of the interpreter (outside the repo, so a flat package cannot import from the
    working folder)."""
    from qdev.project.facts import installed_packages

    packages = installed_packages(root)
    imports = "".join(f"; import {name}" for name in packages)
    interpreter = envstate.venv_python(root)
    result = process.run(
        [
            str(interpreter),
            "-I",
            "-c",
            f"import platform; print(platform.python_version()){imports}",
        ],
        cwd=root / ".venv",
    )
    version = result.stdout.strip().splitlines()[0] if result.stdout.strip() else ""
    if not version:
        raise ToolMissing(
            f"{interpreter} does not run: {result.output.strip()}", fix="rm -rf .venv && qdev env"
        )
    if not result.ok:
        last = [line for line in result.stderr.splitlines() if line.strip()]
        raise ToolMissing(
            f"the environment is made, but the project does not import from it "
            f"({imports.removeprefix('; ')}): {last[-1] if last else result.output.strip()}",
            fix="make the build include the package (the backend's packages setting), "
            "then run qdev env again",
        )
    return version


def _verify(version: str, supported: list[str], requested: str | None) -> None:
    minor = ".".join(version.split(".")[:2])
    if minor not in supported:
        raise ToolMissing(
            f"the environment has Python {version}, which is not one of project.python "
            f"({', '.join(supported)})",
            fix=f"qdev env --python {supported[0]}",
        )
    if (
        requested
        and PYTHON_VERSION_LIKE.match(requested)
        and not version.startswith(requested + ".")
    ):
        raise ToolMissing(
            f"asked for Python {requested}, the environment has {version}",
            fix=f"uv python install {requested}, then qdev env --python {requested}",
        )


def _install_hook_after(root: Path, git_ready: Future[Any] | None) -> str:
    if git_ready is not None:
        from concurrent.futures import wait

        wait([git_ready])  # its failure is the caller's to report; the hook then says why not
    return install_hook(root)


def install_hook(root: Path) -> str:
    """Install the pre-commit hook with the repo's locked pre-commit; say why not when it can't."""
    from qdev.tools import git

    if not (root / PRE_COMMIT_CONFIG).is_file():
        return f"not installed: no {PRE_COMMIT_CONFIG}"
    git_root = git.toplevel(root)
    if git_root is None:
        return "not installed: not a git repository (run `git init`, then `qdev env`)"
    if git_root.resolve() != root.resolve():
        return f"not installed: the hooks of {git_root} are managed at that repository's root"
    pre_commit = root / ".venv" / "bin" / "pre-commit"
    if not pre_commit.is_file():
        return "not installed: pre-commit is not in the dev dependency group"
    result = process.run([str(pre_commit), "install"], cwd=root, env=_uv_env())
    if not result.ok:
        return f"not installed: {result.output.strip()}"
    return "installed"
