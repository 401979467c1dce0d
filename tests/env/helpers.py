"""Helpers for the `qdev env` tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from qdev.tools.pythons import newest_pyenv_install, pyenv_versions_dir


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
    chosen = []
    for minor in minors:
        found = newest_pyenv_install(minor)
        if found is None:
            pytest.skip(f"Python {minor} is not installed under {pyenv_versions_dir()}")
        chosen.append(found.name)
    return ":".join(chosen)
