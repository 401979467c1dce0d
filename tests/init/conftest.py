"""Fixtures for `qdev init`: one made repo per kind, and a way to make a folder unwritable.

Making a repo with its environment takes a few seconds (uv resolves and syncs the dev tools), so
each kind is made once per test session, under a file lock shared by the xdist workers, and
tests copy it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .helpers import MadeRepo, qdev_python


@pytest.fixture(scope="session")
def made_repo(build_once: Callable[[str, Callable[[Path], None]], Path]) -> MadeRepo:
    """`made_repo(kind)`: a repo made by `qdev init demo --kind KIND --yes`, once per session.

    Call it from a test (not a fixture) so the test's private git identity and homes apply.
    Never change it: copy it with `copy_repo`.
    """

    def build(kind: str, folder: Path) -> None:
        folder.mkdir()
        env = {**os.environ, "NO_COLOR": "1", "UV_PYTHON_DOWNLOADS": "never"}
        from qdev.tools import process

        result = process.run(
            [qdev_python(), "-m", "qdev", "init", "demo", "--kind", kind, "--yes"],
            cwd=folder,
            env=env,
            timeout=600,
        )
        assert result.ok, result.output
        (folder / "init-output.txt").write_text(result.output)

    def make(kind: str) -> Path:
        return build_once(f"made-{kind}", lambda folder: build(kind, folder)) / "demo"

    return make


@pytest.fixture
def immutable() -> Iterator[Callable[[Path], None]]:
    """Make a folder truly unwritable, even for root: `chattr +i`, undone after the test."""
    import subprocess

    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed: no way to make a folder unwritable for root")
    locked: list[Path] = []

    def lock(path: Path) -> None:
        done = subprocess.run(
            ["chattr", "+i", str(path)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            pytest.skip(f"chattr +i does not work here: {done.stderr.strip()}")
        locked.append(path)

    yield lock
    for path in locked:
        subprocess.run(["chattr", "-i", str(path)], check=False)
