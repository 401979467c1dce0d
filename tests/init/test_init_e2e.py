"""`qdev init demo --kind K --yes` gives a repo whose tools, nox sessions and git hook all pass."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.tools import process
from tests.cli_runner import RunQdev

from .helpers import MadeRepo, copy_repo

pytestmark = pytest.mark.e2e

KINDS = ["library", "research", "service"]


def run_in(repo: Path, *argv: str, **env: str) -> process.ProcessResult:
    result = process.run(
        list(argv), cwd=repo, env=process.child_env(env, drop=("VIRTUAL_ENV",)), timeout=600
    )
    assert result.ok, f"{' '.join(argv)} failed:\n{result.output}"
    return result


def ready_copy(made_repo: MadeRepo, kind: str, tmp_path: Path, qdev: RunQdev) -> Path:
    repo = copy_repo(made_repo(kind), tmp_path / "demo")
    ran = qdev("env", "--frozen", cwd=repo)
    assert ran.code == 0, ran.err
    assert "git hook installed" in ran.out
    return repo


STEPS_WITHOUT_NETWORK = ["format", "lint", "typecheck", "test", "secrets", "lock"]
"""Every `qdev check` step but audit, which asks a vulnerability service over the network."""


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_repo_passes_its_tools_its_nox_session_and_the_hook_on_the_first_commit(
    kind: str, made_repo: MadeRepo, tmp_path: Path, qdev: RunQdev
) -> None:
    repo = ready_copy(made_repo, kind, tmp_path, qdev)
    bin_ = repo / ".venv" / "bin"
    run_in(repo, str(bin_ / "ruff"), "format", "--check", ".")
    run_in(repo, str(bin_ / "ruff"), "check", ".")
    mypy = run_in(repo, str(bin_ / "mypy"), "--strict")
    assert "Success: no issues found" in mypy.stdout
    tests = run_in(repo, str(bin_ / "pytest"), "--cov", "-q")
    assert "Required test coverage of 80" in tests.stdout
    nox = [sys.executable, "-m", "nox", "-f", "noxfile.py"]
    done = run_in(repo, *nox, "-s", "check-3.11", "--", *STEPS_WITHOUT_NETWORK)
    assert "check-3.11 was successful" in done.output
    run_in(repo, "git", "add", "--all")
    commit = run_in(repo, "git", "commit", "-m", "Start demo")
    assert "ruff check" in commit.output
    assert "Failed" not in commit.output
    assert run_in(repo, "git", "status", "--porcelain").stdout == ""


def test_nox_runs_the_check_session_for_every_supported_python(
    made_repo: MadeRepo, tmp_path: Path, qdev: RunQdev, pyenv_selection: Callable[..., str]
) -> None:
    repo = ready_copy(made_repo, "library", tmp_path, qdev)
    nox = [sys.executable, "-m", "nox", "-f", "noxfile.py"]
    listed = run_in(repo, *nox, "--list")
    sessions = set(listed.stdout.replace("*", " ").split())
    assert {"check-3.11", "check-3.12", "check-3.13"} <= sessions
    every_python = pyenv_selection("3.11", "3.12", "3.13")
    done = run_in(repo, *nox, "--", *STEPS_WITHOUT_NETWORK, PYENV_VERSION=every_python)
    for version in ("3.11", "3.12", "3.13"):
        assert f"check-{version}: success" in done.output


def test_research_hook_strips_notebook_outputs_before_they_are_committed(
    made_repo: MadeRepo, tmp_path: Path, qdev: RunQdev
) -> None:
    repo = ready_copy(made_repo, "research", tmp_path, qdev)
    notebook = repo / "notebooks" / "explore.ipynb"
    clean = notebook.read_text()
    data = json.loads(clean)
    code_cell = next(cell for cell in data["cells"] if cell["cell_type"] == "code")
    code_cell["execution_count"] = 3
    code_cell["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": ["secret pnl 1234\n"]}
    ]
    notebook.write_text(json.dumps(data, indent=1) + "\n")
    (repo / "data" / "prices.csv").write_text("date,close\n2026-01-02,100\n")
    process.run(["git", "add", "--all"], cwd=repo)
    refused = process.run(["git", "commit", "-m", "explore"], cwd=repo)
    assert not refused.ok
    assert "strip notebook outputs" in refused.output
    assert "secret pnl" not in notebook.read_text()
    assert json.loads(notebook.read_text()) == json.loads(clean)
    tracked = run_in(repo, "git", "ls-files", "data").stdout.split()
    assert tracked == ["data/README.md"]


def test_service_has_an_entry_point_and_a_multi_stage_non_root_dockerfile(
    made_repo: MadeRepo, tmp_path: Path, qdev: RunQdev
) -> None:
    repo = ready_copy(made_repo, "service", tmp_path, qdev)
    started = run_in(repo, str(repo / ".venv" / "bin" / "demo"))
    assert "demo 0.1.0 started" in started.stderr
    as_module = run_in(repo, str(repo / ".venv" / "bin" / "python"), "-m", "demo", "--help")
    assert "usage: demo" in as_module.stdout
    dockerfile = (repo / "Dockerfile").read_text()
    stages = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2
    assert "uv sync --locked --no-dev" in dockerfile
    users = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users
    assert users[-1] not in {"root", "0"}
    last_stage = dockerfile[dockerfile.rindex("\nFROM ") :]
    assert "USER app" in last_stage
    assert ".venv" in (repo / ".dockerignore").read_text()


def test_the_made_repo_records_its_profile_and_every_rendered_file(made_repo: MadeRepo) -> None:
    from qdev.profile import state

    repo = made_repo("library")
    recorded = state.read(repo)
    assert recorded is not None
    assert (recorded.profile, recorded.source) == ("default", "builtin")
    for path, record in recorded.files.items():
        assert record.written == state.sha256((repo / path).read_bytes()), path
    assert {"pyproject.toml", "noxfile.py", ".pre-commit-config.yaml", "src/demo/core.py"} <= set(
        recorded.files
    )
    output = (repo.parent / "init-output.txt").read_text()
    assert "git: new repository" in output
    assert "git hook: installed" in output
    assert process.run(["git", "branch", "--show-current"], cwd=repo).stdout.strip() == "main"
    assert not process.run(["git", "rev-parse", "--verify", "HEAD"], cwd=repo).ok  # no --commit


def test_init_leaves_no_environment_variables_of_its_own_behind() -> None:
    assert "VIRTUAL_ENV" not in os.environ
