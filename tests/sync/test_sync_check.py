"""`qdev sync --check`: exit 1 naming each drifted path and why, 0 after `qdev sync`, offline
from the cache, and the same answer from the memo as from the planner."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_runner import RunQdev

from .conftest import copy_repo
from .helpers import commit_all, edit

pytestmark = pytest.mark.e2e


@pytest.fixture
def repo(made_repo: Callable[[], Path], tmp_path: Path) -> Path:
    return copy_repo(made_repo(), tmp_path / "demo")


def drifts(qdev: RunQdev, repo: Path) -> dict[str, str]:
    ran = qdev("sync", "--check", "--json", cwd=repo)
    report = json.loads(ran.out)
    assert ran.code == (0 if report["ok"] else 1)
    return {d["path"]: d["reason"] for d in report["drift"]}


def test_an_up_to_date_repo_passes_and_names_newer_profile_versions(
    repo: Path, qdev: RunQdev
) -> None:
    ran = qdev("sync", "--check", cwd=repo)
    assert ran.code == 0, ran.out + ran.err
    assert "demo: up to date with profile team 1.0.0 (v1.0.0)" in ran.out
    assert "newer profile versions: v2.0.0, v3.0.0" in ran.out


def test_a_newer_pin_is_profile_newer_until_synced(repo: Path, qdev: RunQdev) -> None:
    edit(repo / "qdev.toml", 'ref = "v1.0.0"', 'ref = "v2.0.0"')
    commit_all(repo, "Move to the profile's v2.0.0")
    found = drifts(qdev, repo)
    assert found["."] == "profile newer"
    assert found["pyproject.toml"] == "profile newer"
    assert found[".editorconfig"] == "profile newer"
    assert qdev("sync", cwd=repo).code == 0
    assert drifts(qdev, repo) == {}


def test_an_edited_managed_file_is_drift_an_edited_merged_file_is_not(
    repo: Path, qdev: RunQdev
) -> None:
    edit(repo / "noxfile.py", "register()", "register()  # ours")
    edit(repo / "pyproject.toml", "dependencies = []", 'dependencies = ["numpy"]')
    assert drifts(qdev, repo) == {"noxfile.py": "file edited"}
    commit_all(repo, "Edits")
    ran = qdev("sync", cwd=repo)
    assert ran.code == 0, ran.out
    assert "register()  # ours" in (repo / "noxfile.py").read_text()
    assert drifts(qdev, repo) == {}


def test_a_deleted_managed_file_is_drift_then_stays_deleted_after_sync(
    repo: Path, qdev: RunQdev
) -> None:
    (repo / "noxfile.py").unlink()
    commit_all(repo, "We use no nox")
    assert drifts(qdev, repo) == {"noxfile.py": "file deleted"}
    ran = qdev("sync", cwd=repo)
    assert "deleted  noxfile.py" in ran.out
    assert not (repo / "noxfile.py").exists()
    commit_all(repo, "sync")
    assert drifts(qdev, repo) == {}
    assert qdev("sync", "--ref", "v2.0.0", cwd=repo).code == 0
    assert not (repo / "noxfile.py").exists()
    commit_all(repo, "v2")
    assert qdev("sync", "--restore", "noxfile.py", cwd=repo).code == 0
    assert (repo / "noxfile.py").is_file()
    assert qdev("sync", "--restore", "nope.py", cwd=repo).code == 2


def test_a_config_change_is_drift_and_sync_updates_the_ci_matrix(repo: Path, qdev: RunQdev) -> None:
    edit(repo / "qdev.toml", 'python = ["3.11", "3.12", "3.13"]', 'python = ["3.12", "3.13"]')
    commit_all(repo, "Drop 3.11")
    found = drifts(qdev, repo)
    assert found[".github/workflows/ci.yml"] == "config changed"
    assert found[".python-version"] == "config changed"
    assert qdev("sync", cwd=repo).code == 0
    assert 'python: ["3.12", "3.13"]' in (repo / ".github" / "workflows" / "ci.yml").read_text()
    assert drifts(qdev, repo) == {}


def test_check_works_offline_from_the_cache(
    repo: Path, qdev: RunQdev, tmp_path: Path, team_profile: Callable[[], Path]
) -> None:
    edit(repo / "qdev.toml", f'git = "{team_profile()}"', f'git = "{tmp_path / "profile"}"')
    shutil.copytree(team_profile(), tmp_path / "profile")
    commit_all(repo, "The profile from elsewhere")
    assert qdev("sync", cwd=repo).code == 0  # records the new URL (and fetches it)
    commit_all(repo, "sync")
    edit(repo / "noxfile.py", "register()", "register()  # ours")
    assert drifts(qdev, repo) == {"noxfile.py": "file edited"}  # fetched into the cache
    shutil.rmtree(tmp_path / "profile")  # the profile repository is gone: offline
    edit(repo / "noxfile.py", "register()  # ours", "register()")
    assert drifts(qdev, repo) == {}
    ran = qdev("sync", "--check", cwd=repo)
    assert ran.code == 0, ran.err


def test_the_memo_answers_the_same_as_the_planner_and_is_dropped_on_any_edit(
    repo: Path, qdev: RunQdev
) -> None:
    first = qdev("sync", "--check", cwd=repo)
    env = {**os.environ, "NO_COLOR": "1"}
    argv = [sys.executable, "-X", "importtime", "-m", "qdev", "sync", "--check"]
    memo = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True)
    assert memo.returncode == 0
    assert memo.stdout == first.out
    imported = {line.split("|")[-1].strip() for line in memo.stderr.splitlines()}
    assert not {"pydantic", "git", "typer", "tomlkit"} & imported
    edit(repo / "noxfile.py", "register()", "register()  # ours")
    again = subprocess.run(argv[:1] + argv[3:], cwd=repo, env=env, capture_output=True, text=True)
    assert again.returncode == 1
    assert "file edited  noxfile.py" in again.stdout


def test_no_state_is_a_usage_error_with_the_fix(tmp_path: Path, qdev: RunQdev) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path / "r")], check=True)
    ran = qdev("sync", "--check", cwd=tmp_path / "r")
    assert ran.code == 2
    assert "run `qdev init`" in ran.err


def test_check_drift_answers_again_from_the_memo_and_recomputes_a_broken_one(repo: Path) -> None:
    from qdev.profile import drift

    first = drift.check_drift(repo)
    again = drift.check_drift(repo)
    assert (first.from_memo, again.from_memo) == (False, True)
    assert again == first
    memo = drift._memo_file(repo.resolve())
    saved = json.loads(memo.read_text())
    memo.write_text(json.dumps({**saved, "report": {"root": str(repo)}}))  # the key still holds
    recomputed = drift.check_drift(repo)
    assert not recomputed.from_memo
    assert recomputed == first
