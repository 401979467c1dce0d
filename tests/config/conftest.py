"""Fixtures for the configuration tests: a repo folder and the real CLI run in-process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from qdev.__main__ import main


@dataclass
class CliResult:
    code: int
    out: str
    err: str


RunCli = Callable[..., CliResult]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty repo folder (with a .git marker folder) that is the current folder."""
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / ".git").mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def user_file(isolated_env: Path) -> Path:
    """Where the user's own config file lives under the test's private XDG home."""
    return isolated_env / "config" / "qdev" / "config.toml"


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run `qdev ARGS` through the real entry point, in-process."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
