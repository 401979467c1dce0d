"""A sync killed (SIGKILL, real processes) or failing at any write leaves the repo byte-identical
to before, or, run again, completes exactly as an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.profile import transaction
from qdev.profile.sync import recover_interrupted
from tests.cli_runner import RunQdev

from .conftest import copy_repo
from .helpers import commit_all, edit, repo_state

pytestmark = pytest.mark.e2e


def prepared(made_repo: Callable[[], Path], folder: Path) -> Path:
    """A repo whose sync to v2.0.0 creates, updates, merges and leaves conflicts."""
    repo = copy_repo(made_repo(), folder)
    edit(repo / "pyproject.toml", "line-length = 100", "line-length = 120")
    edit(repo / "README.md", "## Working on it", "Ours.\n\n## Working on it")
    commit_all(repo, "Edits")
    return repo


def test_sigkill_at_each_write_is_undone_to_the_byte_and_a_rerun_completes(
    made_repo: Callable[[], Path], tmp_path: Path, qdev: RunQdev
) -> None:
    reference = prepared(made_repo, tmp_path / "reference")
    assert qdev("sync", "--ref", "v2.0.0", cwd=reference).code == 1  # conflicts
    completed = repo_state(reference)
    template = prepared(made_repo, tmp_path / "template")
    before = repo_state(template)
    env = {**os.environ, "NO_COLOR": "1"}
    killed_at = []
    for step in range(40):
        repo = copy_repo(template, tmp_path / f"k{step}")
        run = subprocess.run(
            [sys.executable, "-m", "qdev", "sync", "--ref", "v2.0.0"],
            cwd=repo,
            env={**env, transaction.KILL_VAR: str(step)},
            capture_output=True,
        )
        if run.returncode != -signal.SIGKILL:
            assert run.returncode == 1, run.stderr
            assert repo_state(repo) == completed
            break
        killed_at.append(step)
        if step == 0:  # killed before the journal's commit point: nothing was written
            assert repo_state(repo) == before
            continue
        if step == 1:
            check = qdev("sync", "--check", cwd=repo)
            assert (check.code, "interrupted sync" in check.out) == (1, True)
        assert recover_interrupted(repo)
        assert repo_state(repo) == before, f"killed at write {step}"
        if step in (1, 6):
            assert qdev("sync", "--ref", "v2.0.0", cwd=repo).code == 1
            assert repo_state(repo) == completed, f"rerun after a kill at write {step}"
    assert len(killed_at) > 8  # every file write and every index update was a kill point


@pytest.mark.parametrize("step", [0, 1, 5])
def test_a_failed_write_puts_everything_back_at_once(
    step: int,
    made_repo: Callable[[], Path],
    tmp_path: Path,
    qdev: RunQdev,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = prepared(made_repo, tmp_path / "demo")
    before = repo_state(repo)
    monkeypatch.setenv(transaction.FAIL_VAR, str(step))
    ran = qdev("sync", "--ref", "v2.0.0", cwd=repo)
    assert ran.code == 2
    assert "nothing was changed" in ran.err
    assert "Traceback" not in ran.err
    assert repo_state(repo) == before
    assert not transaction.pending(repo / ".git")
