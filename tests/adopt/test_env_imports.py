"""`qdev env` is only "ready" when the project's own packages import from .venv (issue 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qdev.__main__ import main

from .synthetic import git

EMPTY_WHEEL = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "rates"
version = "1.0"
requires-python = ">=3.11"

[tool.setuptools]
packages = []
"""


@pytest.mark.e2e
def test_env_exits_3_naming_the_import_when_the_build_leaves_the_package_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    repo = tmp_path / "rates"
    (repo / "rates").mkdir(parents=True)
    (repo / "pyproject.toml").write_text(EMPTY_WHEEL)
    (repo / "rates" / "__init__.py").write_text("RATE = 0.05\n")
    git(repo, "init", "-q")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "rates")
    assert main(["init", str(repo), "--yes", "--no-env"]) == 0
    monkeypatch.chdir(repo)
    capsys.readouterr()
    code = main(["env"])
    out, err = capsys.readouterr()
    assert code == 3, out + err
    assert "ready" not in out
    assert "the project does not import from it (import rates)" in err
    assert "No module named 'rates'" in err
    assert not (repo / ".venv" / "qdev-env.json").exists()
