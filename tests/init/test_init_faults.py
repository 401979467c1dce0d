"""Every failure or interrupt during `qdev init` leaves the folder as it was (issue 9).

By kind: an invalid pyproject (any way it breaks its standards), a failure after the files are
written, after `git init`, or after the environment is made, a SIGTERM at each of those points,
a real Ctrl-C while uv is making the environment, and fixes that must themselves be valid.
The one documented exception: when the environment cannot be made, the files stay.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qdev.errors import UsageError
from qdev.project import names
from qdev.tools import process
from tests.cli_runner import RunQdev

from .helpers import qdev_python, snapshot

INVALID_PYPROJECTS = {
    "a number for a name": '[project]\nname = 5\nversion = "1.0"\n',
    "a float version": '[project]\nname = "rates"\nversion = 1.0\n',
    "dependencies as one string": (
        '[project]\nname = "rates"\nversion = "1"\ndependencies = "numpy"\n'
    ),
    "a version both static and dynamic": (
        '[project]\nname = "rates"\nversion = "1"\ndynamic = ["version"]\n'
    ),
    "build requires as a string": (
        '[build-system]\nrequires = "setuptools"\n\n[project]\nname = "rates"\nversion = "1"\n'
    ),
    "an unparsable requirement": (
        '[project]\nname = "rates"\nversion = "1"\ndependencies = ["numpy >>> 2"]\n'
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID_PYPROJECTS))
def test_an_invalid_pyproject_is_refused_with_its_line_and_key_and_nothing_is_written(
    case: str, tmp_path: Path, qdev: RunQdev
) -> None:
    repo = tmp_path / "rates"
    repo.mkdir()
    (repo / "pyproject.toml").write_text(INVALID_PYPROJECTS[case])
    before = snapshot(tmp_path)
    ran = qdev("init", repo, "--yes")
    assert ran.code == 2, ran.out + ran.err
    assert snapshot(tmp_path) == before
    assert f"{repo / 'pyproject.toml'}:" in ran.err
    assert "(validate-pyproject)" in ran.err
    assert "fix: fix " in ran.err
    assert "Traceback" not in ran.err


def test_the_name_5_case_names_line_2_and_the_key(tmp_path: Path, qdev: RunQdev) -> None:
    repo = tmp_path / "n5"
    repo.mkdir()
    (repo / "pyproject.toml").write_text(INVALID_PYPROJECTS["a number for a name"])
    ran = qdev("init", repo, "--yes")
    assert f"{repo / 'pyproject.toml'}:2:1: project.name:" in ran.err


@pytest.mark.parametrize("step", ["write", "git", "env"])
@pytest.mark.parametrize("action", ["fail", "term"])
def test_a_failure_or_sigterm_after_each_step_puts_a_new_folder_back_as_it_was(
    step: str, action: str, tmp_path: Path, qdev: RunQdev, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QDEV_INIT_FAIL_AT", f"{step}:{action}")
    before = snapshot(tmp_path)
    args = ["init", tmp_path / "demo", "--yes"] + ([] if step == "env" else ["--no-env"])
    ran = qdev(*args)
    assert ran.code == (130 if action == "term" else 2), ran.err
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "demo").exists()


def test_an_interrupt_after_git_init_in_an_existing_folder_removes_only_what_init_made(
    tmp_path: Path, qdev: RunQdev, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "notes"
    repo.mkdir()
    (repo / "README.md").write_text("# notes\n")
    monkeypatch.setenv("QDEV_INIT_FAIL_AT", "git:term")
    before = snapshot(tmp_path)
    ran = qdev("init", repo, "--yes", "--no-env")
    assert ran.code == 130
    assert snapshot(tmp_path) == before
    assert not (repo / ".git").exists()


def test_an_interrupt_during_adoption_leaves_the_repo_and_its_git_state_as_they_were(
    tmp_path: Path, qdev: RunQdev, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "pricer"
    repo.mkdir()
    (repo / "pyproject.toml").write_text('[project]\nname = "pricer"\nversion = "1.0"\n')
    process.run(["git", "init", "-q"], cwd=repo)
    monkeypatch.setenv("QDEV_INIT_FAIL_AT", "write:term")
    before = snapshot(tmp_path)
    ran = qdev("init", repo, "--yes", "--no-env")
    assert ran.code == 130
    assert snapshot(tmp_path) == before


def test_ctrl_c_while_uv_makes_the_environment_undoes_everything(tmp_path: Path) -> None:
    """A real SIGINT to a real `qdev init`, sent once uv has started making .venv."""
    env = {**os.environ, "NO_COLOR": "1", "UV_PYTHON_DOWNLOADS": "never"}
    target = tmp_path / "demo"
    proc = subprocess.Popen(
        [qdev_python(), "-m", "qdev", "init", str(target), "--yes"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not (target / ".venv").exists() and proc.poll() is None:
        assert time.monotonic() < deadline, "uv never started making .venv"
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("init finished before the interrupt landed")
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert not target.exists()


def test_an_environment_that_cannot_be_made_keeps_the_files_and_says_so(
    tmp_path: Path, qdev: RunQdev, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented exception: once fixed, `qdev env` finishes the job."""
    monkeypatch.setenv("QDEV_UV", str(tmp_path / "no-uv-here"))
    ran = qdev("init", tmp_path / "demo", "--yes")
    assert ran.code == 3, ran.err
    assert "the repo's files are written and kept" in ran.err
    assert (tmp_path / "demo" / "pyproject.toml").is_file()
    assert (tmp_path / "demo" / ".git").is_dir()


def test_the_fix_for_a_keyword_name_is_a_name_that_works(tmp_path: Path, qdev: RunQdev) -> None:
    ran = qdev("init", tmp_path / "demo", "--name", "class", "--yes")
    assert ran.code == 2
    assert "e.g. --name class-lib" in ran.err
    assert "e.g. --name class\n" not in ran.err + "\n"


@given(st.text(max_size=30) | st.sampled_from(["class", "json", "None", "3d", "import"]))
@example("class")
@example("json")
def test_every_suggested_name_is_itself_accepted(name: str) -> None:
    try:
        names.validate(name)
    except UsageError as refused:
        suggestion = refused.fix.rsplit("--name ", 1)[-1] if refused.fix else ""
        assert names.validate(suggestion)
