"""Helpers for the `qdev env` tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class EnvRan:
    code: int
    out: str
    err: str


RunCli = Callable[..., EnvRan]


def pyenv_selection(*minors: str) -> str:
    """A PYENV_VERSION that makes pyenv's shims find each of `minors` (e.g. "3.12").

    pyenv's shims answer only for the selected versions; selecting the installed ones lets uv
    and nox find every Python a repo supports. Skips the test when one is not installed.
    """
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    chosen = []
    for minor in minors:
        found = sorted(p.name for p in root.glob(f"{minor}.*") if p.name.count(".") == 2)
        if not found:
            pytest.skip(f"Python {minor} is not installed under {root}")
        chosen.append(found[-1])
    return ":".join(chosen)
