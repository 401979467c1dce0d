"""Fixtures for the adoption tests: each synthetic repo adopted once per test session.

Adopting proves itself with two wheel builds, a few seconds each: tests that only read the
result share one adopted copy per case (under a file lock shared by the xdist workers).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from qdev.tools import process

from .synthetic import make


@dataclass(frozen=True)
class Adopted:
    repo: Path
    code: int
    out: str
    err: str


@pytest.fixture(scope="session")
def shared_adopted(shared_dir: Path, ci_ready_profile: Path) -> Callable[[str], Adopted]:
    """`shared_adopted(case)`: the case made and adopted by `qdev init --yes --no-env`, once,
    with a profile that says where CI installs qdev from (so the pipeline is written too).

    Never change the repo it returns: copy it first.
    """

    def adopt(case: str) -> Adopted:
        folder = shared_dir / f"adopted-{case}"
        with FileLock(str(folder) + ".lock"):
            if not (folder / "done").exists():
                shutil.rmtree(folder, ignore_errors=True)
                repo = make(case, folder / case)
                env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
                ran = process.run(
                    [
                        _python(),
                        "-m",
                        "qdev",
                        "init",
                        str(repo),
                        "--yes",
                        "--no-env",
                        "--profile",
                        str(ci_ready_profile),
                    ],
                    cwd=folder,
                    env=env,
                    timeout=600,
                )
                (folder / "code").write_text(str(ran.returncode))
                (folder / "out").write_text(ran.stdout)
                (folder / "err").write_text(ran.stderr)
                (folder / "done").write_text("")
        return Adopted(
            folder / case,
            int((folder / "code").read_text()),
            (folder / "out").read_text(),
            (folder / "err").read_text(),
        )

    return adopt


def _python() -> str:
    import sys

    return sys.executable
