"""Whether a repo's `.venv` matches its `uv.lock`: written by `qdev env`, read by `qdev check`.

`qdev env` records the lock's hash and the interpreter in `.venv/qdev-env.json` after a
successful `uv sync`; any later change of the lock makes the environment stale.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from pathlib import Path

from qdev.fileio import write_atomic

MARKER = Path(".venv") / "qdev-env.json"
LOCK = "uv.lock"


@dataclass(frozen=True)
class EnvState:
    lock_sha256: str
    python: str


def lock_hash(root: Path) -> str:
    lock = root / LOCK
    return hashlib.sha256(lock.read_bytes()).hexdigest() if lock.is_file() else ""


def venv_python(root: Path) -> Path:
    return root / ".venv" / "bin" / "python"


def write_marker(root: Path, python_version: str | None = None) -> EnvState:
    state = EnvState(lock_hash(root), python_version or platform.python_version())
    write_atomic(root / MARKER, json.dumps(state.__dict__, indent=2) + "\n")
    return state


def read_marker(root: Path) -> EnvState | None:
    try:
        data = json.loads((root / MARKER).read_text())
        return EnvState(str(data["lock_sha256"]), str(data["python"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def staleness(root: Path) -> str | None:
    """Why the environment cannot be used as it is, or None when it matches the lock."""
    if not venv_python(root).exists():
        return f"{root / '.venv'} does not exist"
    state = read_marker(root)
    if state is None:
        return f"{root / '.venv'} was not made by `qdev env`"
    if state.lock_sha256 != lock_hash(root):
        return f"{root / LOCK} changed since the environment was last synced"
    return None
