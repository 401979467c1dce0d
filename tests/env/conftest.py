"""Fixtures for `qdev env`: a fresh repo from `qdev init --no-env`, and the CLI in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from qdev.__main__ import main

from .helpers import EnvRan, RunCli


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunCli:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")

    def run(*args: str | Path, cwd: Path) -> EnvRan:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return EnvRan(code, captured.out, captured.err)

    return run


@pytest.fixture
def repo(tmp_path: Path, cli: RunCli) -> Path:
    """A repo made by `qdev init demo --no-env`: git, files, no lock, no .venv yet."""
    ran = cli("init", "demo", "--yes", "--no-env", cwd=tmp_path)
    assert ran.code == 0, ran.err
    return tmp_path / "demo"
