"""`qdev env`: .venv from uv.lock with real uv, the git hook, the interpreter checked."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev import envstate
from tests.cli_runner import RunQdev

pytestmark = pytest.mark.e2e


def test_env_locks_syncs_marks_and_installs_the_hook(repo: Path, qdev: RunQdev) -> None:
    ran = qdev("env", "--json", cwd=repo)
    assert ran.code == 0, ran.err
    report = json.loads(ran.out)
    assert report["hook"] == "installed"
    assert report["python"].startswith("3.11.")
    assert (repo / "uv.lock").is_file()
    assert envstate.staleness(repo) is None
    for tool in ("ruff", "mypy", "pytest", "pip-audit", "detect-secrets", "pre-commit"):
        assert (repo / ".venv" / "bin" / tool).is_file(), tool
    assert "pre-commit" in (repo / ".git" / "hooks" / "pre-commit").read_text()


def test_env_from_a_subfolder_works_on_the_repo_root(repo: Path, qdev: RunQdev) -> None:
    ran = qdev("env", cwd=repo / "src" / "demo")
    assert ran.code == 0, ran.err
    assert f"in {repo / '.venv'}" in ran.out
    assert envstate.staleness(repo) is None


def test_frozen_without_a_lock_fails_and_says_how_to_make_one(repo: Path, qdev: RunQdev) -> None:
    ran = qdev("env", "--frozen", cwd=repo)
    assert ran.code == 2
    assert "uv.lock does not match pyproject.toml (--frozen)" in ran.err
    assert "fix: run `qdev env`" in ran.err
    assert not (repo / "uv.lock").exists()


def test_frozen_with_a_stale_lock_fails_and_leaves_the_lock_alone(
    repo: Path, qdev: RunQdev
) -> None:
    assert qdev("env", cwd=repo).code == 0
    lock = (repo / "uv.lock").read_bytes()
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("dependencies = []", 'dependencies = ["packaging"]')
    )
    ran = qdev("env", "--frozen", cwd=repo)
    assert ran.code == 2, ran.err
    assert "uv.lock does not match" in ran.err
    assert (repo / "uv.lock").read_bytes() == lock
    assert qdev("env", cwd=repo).code == 0
    assert envstate.staleness(repo) is None
    assert qdev("env", "--frozen", cwd=repo).code == 0


def test_inside_a_nox_session_env_still_syncs_the_repos_own_venv(
    repo: Path, qdev: RunQdev, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # nox points uv at its session venv through these two variables.
    elsewhere = tmp_path / "nox-session-venv"
    monkeypatch.setenv("UV_PROJECT_ENVIRONMENT", str(elsewhere))
    monkeypatch.setenv("UV_PYTHON", str(elsewhere / "bin" / "python"))

    ran = qdev("env", "--json", cwd=repo)

    assert ran.code == 0, ran.err
    assert json.loads(ran.out)["python"].startswith("3.11.")
    assert envstate.staleness(repo) is None
    assert not elsewhere.exists()


def test_a_python_that_is_not_installed_is_exit_3_with_the_fix(repo: Path, qdev: RunQdev) -> None:
    ran = qdev("env", "--python", "3.9", cwd=repo)
    assert ran.code == 3
    assert "Python 3.9 was not found" in ran.err
    assert "uv python install 3.9" in ran.err
    assert not (repo / ".venv").exists()


def test_another_supported_python_is_used_when_asked(
    repo: Path, qdev: RunQdev, monkeypatch: pytest.MonkeyPatch, pyenv_selection: Callable[..., str]
) -> None:
    monkeypatch.setenv("PYENV_VERSION", pyenv_selection("3.11", "3.12"))
    ran = qdev("env", "--python", "3.12", "--json", cwd=repo)
    assert ran.code == 0, ran.err
    assert json.loads(ran.out)["python"].startswith("3.12.")
    assert envstate.read_marker(repo) is not None


def test_an_interpreter_outside_project_python_is_exit_3(repo: Path, qdev: RunQdev) -> None:
    qdev_toml = repo / "qdev.toml"
    qdev_toml.write_text(
        qdev_toml.read_text().replace('["3.11", "3.12", "3.13"]', '["3.12", "3.13"]')
    )
    ran = qdev("env", cwd=repo)
    assert ran.code == 3
    assert "Python 3.11" in ran.err
    assert "not one of project.python (3.12, 3.13)" in ran.err
    assert "fix: qdev env --python 3.12" in ran.err
    assert envstate.read_marker(repo) is None


def test_uv_missing_is_exit_3_with_the_install_command(
    repo: Path, qdev: RunQdev, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QDEV_UV", str(repo / "no-such-uv"))
    ran = qdev("env", cwd=repo)
    assert ran.code == 3
    assert "uv is not at" in ran.err
    assert "pip install uv" in ran.err


def test_outside_a_project_it_is_a_usage_error(tmp_path: Path, qdev: RunQdev) -> None:
    (tmp_path / "empty").mkdir()
    ran = qdev("env", cwd=tmp_path / "empty")
    assert ran.code == 2
    assert "has no pyproject.toml" in ran.err
    assert "qdev init" in ran.err


def test_without_git_the_environment_is_made_and_the_hook_skipped(
    tmp_path: Path, qdev: RunQdev
) -> None:
    assert qdev("init", "solo", "--yes", "--no-env", "--no-git", cwd=tmp_path).code == 0
    ran = qdev("env", cwd=tmp_path / "solo")
    assert ran.code == 0, ran.err
    assert "not a git repository" in ran.out
