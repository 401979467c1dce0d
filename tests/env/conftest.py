"""Fixtures for `qdev env`: a fresh repo from `qdev init --no-env`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runner import RunQdev


@pytest.fixture
def repo(tmp_path: Path, qdev: RunQdev) -> Path:
    """A repo made by `qdev init demo --no-env`: git, files, no lock, no .venv yet."""
    ran = qdev("init", "demo", "--yes", "--no-env", cwd=tmp_path)
    assert ran.code == 0, ran.err
    return tmp_path / "demo"
