"""Helpers for the `qdev init` tests: snapshots and repo copies."""

from __future__ import annotations

import shutil
import stat
import sys
from collections.abc import Callable
from pathlib import Path

MadeRepo = Callable[[str], Path]


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every path under `folder` with its mode and (for files) content: to prove nothing changed."""
    if not folder.exists():
        return {}
    found: dict[str, tuple[int, bytes]] = {".": (folder.stat().st_mode, b"")}
    for path in sorted(folder.rglob("*")):
        mode = path.lstat().st_mode
        data = path.read_bytes() if stat.S_ISREG(mode) else b""
        found[path.relative_to(folder).as_posix()] = (mode, data)
    return found


def copy_repo(made: Path, target: Path) -> Path:
    """A copy of a made repo without its environment (it holds absolute paths)."""
    shutil.copytree(made, target, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    return target


def qdev_python() -> str:
    return sys.executable
