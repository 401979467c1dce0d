"""The repo's `.venv` as a Jupyter kernel named after the repo, so that JupyterLab and VS Code
run notebooks in the locked environment instead of whatever Python is around.

Registration and removal go through the environment's own ipykernel and jupyter-kernelspec, so
the kernel lands where that Jupyter looks (JUPYTER_DATA_DIR, XDG_DATA_HOME, ~/Library/Jupyter).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qdev.errors import GuardRefused, QdevError, ToolMissing
from qdev.tools import process

if TYPE_CHECKING:
    from qdev.config.models import QdevConfig

TIMEOUT = 120.0
NOT_A_KERNEL_NAME = re.compile(r"[^a-z0-9._-]+")


def kernel_name(root: Path, config: QdevConfig) -> str:
    """The repo's name as Jupyter accepts it: lowercase letters, digits, '.', '_' and '-'."""
    name = (config.project.name or root.name).lower()
    return NOT_A_KERNEL_NAME.sub("-", name).strip("-") or "repo"


def display_name(name: str) -> str:
    return f"{name} (.venv)"


def wanted(config: QdevConfig) -> bool:
    """Whether `qdev env` registers a kernel for this repo."""
    from qdev.config.models import Kind

    return config.project.kind is Kind.RESEARCH and config.research.kernel


def register_if_wanted(root: Path, config: QdevConfig) -> str | None:
    """After `qdev env`: register the kernel of a research repo; None for other kinds."""
    return register(root, config) if wanted(config) else None


def register(root: Path, config: QdevConfig) -> str:
    """Register (or refresh) the kernel; say what was done, or why not."""
    name = kernel_name(root, config)
    python = root / ".venv" / "bin" / "python"
    if not _has_module(root, "ipykernel"):
        return "not registered: ipykernel is not in .venv (uv add --dev ipykernel, then qdev env)"
    existing = installed(root).get(name)
    ours = str(python)
    if existing is not None and _same(existing, ours, display_name(name)):
        return f"{name} (already registered)"
    argv = [ours, "-m", "ipykernel", "install", "--user", "--name", name]
    result = process.run(
        [*argv, "--display-name", display_name(name)], cwd=root, env=_env(), timeout=TIMEOUT
    )
    if not result.ok:
        raise QdevError(
            f"registering the Jupyter kernel {name} failed:\n{result.output.strip()}",
            fix="fix what ipykernel reports, then run qdev env again",
        )
    if existing is not None and _argv0(existing) != ours:
        return f"{name} (registered; it replaced one that ran {_argv0(existing)})"
    return f"{name} (registered)"


def remove_repo_kernel(start: Path | None = None) -> str:
    """`qdev env --remove-kernel`: remove the kernel of the repo holding `start` (default cwd)."""
    from qdev.config.loader import load_config

    loaded = load_config(start)
    return remove(loaded.root, loaded.config)


def remove(root: Path, config: QdevConfig) -> str:
    """Remove the repo's kernel; refuse one of the same name that runs another environment."""
    name = kernel_name(root, config)
    existing = installed(root).get(name)
    if existing is None:
        return f"no Jupyter kernel named {name} is registered"
    ours = str(root / ".venv" / "bin" / "python")
    if _argv0(existing) != ours:
        raise GuardRefused(
            f"the Jupyter kernel {name} runs {_argv0(existing)}, not this repo's {ours}: "
            "left alone",
            fix=f"jupyter kernelspec remove {name}   (if you mean to remove it anyway)",
        )
    result = process.run(
        [_kernelspec(root), "remove", "-y", name], cwd=root, env=_env(), timeout=TIMEOUT
    )
    if not result.ok:
        raise QdevError(
            f"removing the Jupyter kernel {name} failed:\n{result.output.strip()}",
            fix=f"jupyter kernelspec remove {name}",
        )
    return f"removed the Jupyter kernel {name}"


def installed(root: Path) -> dict[str, dict[str, Any]]:
    """Every kernel the environment's Jupyter sees, by name (`jupyter kernelspec list --json`)."""
    result = process.run(
        [_kernelspec(root), "list", "--json"], cwd=root, env=_env(), timeout=TIMEOUT
    )
    try:
        specs = json.loads(result.stdout)["kernelspecs"] if result.ok else None
    except (ValueError, KeyError, TypeError):
        specs = None
    if not isinstance(specs, dict):
        raise QdevError(
            f"jupyter kernelspec list failed:\n{result.output.strip()}",
            fix="run `qdev env` to repair the environment",
        )
    return specs


def _same(spec: dict[str, Any], python: str, display: str) -> bool:
    return _argv0(spec) == python and spec.get("spec", {}).get("display_name") == display


def _argv0(spec: dict[str, Any]) -> str:
    argv = spec.get("spec", {}).get("argv") or [""]
    return str(argv[0])


def _kernelspec(root: Path) -> str:
    """jupyter-kernelspec from .venv, else from PATH (the .venv may be gone already)."""
    local = root / ".venv" / "bin" / "jupyter-kernelspec"
    if local.is_file():
        return str(local)
    found = shutil.which("jupyter-kernelspec")
    if found is None:
        raise ToolMissing(
            "jupyter-kernelspec is neither in .venv nor on PATH",
            fix="qdev env   (ipykernel in the dev group brings it)",
        )
    return found


def _has_module(root: Path, module: str) -> bool:
    python = root / ".venv" / "bin" / "python"
    probe = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return python.is_file() and process.run([str(python), "-c", probe], cwd=root).ok


def _env() -> dict[str, str]:
    # The repo's own environment and the user's Jupyter folders, never another venv's.
    return process.child_env(drop=("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"))
