"""The generated git hook refuses a commit that still holds sync's conflict markers, and
`qdev profile new|check` start and test a profile."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.profile import source
from qdev.profile.authoring import check_profile
from tests.cli_runner import RunQdev

from .conftest import copy_repo
from .helpers import commit_all, edit, git

pytestmark = pytest.mark.e2e


def test_the_hook_refuses_a_commit_with_conflict_markers_and_accepts_the_resolution(
    made_repo: Callable[[], Path], tmp_path: Path, qdev: RunQdev
) -> None:
    repo = copy_repo(made_repo(), tmp_path / "demo")
    edit(repo / "README.md", "qdev check      # format,", "qdev check      # all of:")
    commit_all(repo, "Ours")
    assert qdev("sync", "--ref", "v2.0.0", cwd=repo).code == 1
    bin_dir = Path(sys.executable).parent  # qdev and pre-commit, as `qdev env` would give
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    hooks = [str(bin_dir / "pre-commit"), "run", "qdev-sync-conflicts", "--all-files"]
    git(repo, "add", "--all")  # "resolved" in git's eyes, markers still in README.md
    refused = subprocess.run(hooks, cwd=repo, env=env, capture_output=True, text=True)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "unresolved conflict  README.md" in refused.stdout
    text = (repo / "README.md").read_text()
    ours = text.split("<<<<<<< this repo\n")[1].split("||||||| ")[0]
    resolved = (
        text.split("<<<<<<< this repo\n")[0]
        + ours
        + text.split(">>>>>>> profile 2.0.0 (v2.0.0)\n")[1]
    )
    (repo / "README.md").write_text(resolved)
    git(repo, "add", "--all")
    accepted = subprocess.run(hooks, cwd=repo, env=env, capture_output=True, text=True)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_profile_new_starts_a_committed_profile_from_the_builtin_one(
    tmp_path: Path, qdev: RunQdev
) -> None:
    ran = qdev("profile", "new", tmp_path / "rates-profile", cwd=tmp_path)
    assert ran.code == 0, ran.err
    profile = source.from_folder(tmp_path / "rates-profile")
    assert (profile.name, profile.version) == ("rates-profile", "0.1.0")
    assert profile.policy("pyproject.toml") == source.Policy.MERGED
    assert git(tmp_path / "rates-profile", "status", "--porcelain") == ""
    assert "qdev profile check" in (tmp_path / "rates-profile" / "README.md").read_text()
    again = qdev("profile", "new", tmp_path / "rates-profile", cwd=tmp_path)
    assert again.code == 2
    assert "not empty" in again.err


def test_profile_check_catches_a_template_that_would_break_every_repo(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    import shutil

    shutil.copytree(source.builtin_path(), profile)
    report = check_profile(profile, run_checks=False)
    assert report.exit_code == 0, report.problems
    edit(profile / "templates" / "common" / "pyproject.toml.tmpl", "[tool.ruff]", "[tool.ruff")
    edit(profile / "templates" / "common" / ".gitignore.tmpl", "dist/", "{{ dist_dir }}/")
    report = check_profile(profile, run_checks=False)
    assert report.exit_code == 2
    assert any("pyproject.toml: does not parse as TOML" in p for p in report.problems)
    assert any("unknown placeholder {{ dist_dir }}" in p for p in report.problems)


def test_profile_check_runs_qdev_check_in_a_made_repo_and_fails_with_it(
    tmp_path: Path, qdev: RunQdev
) -> None:
    profile = tmp_path / "p"
    assert qdev("profile", "new", profile, "--no-git", cwd=tmp_path).code == 0
    ran = qdev("profile", "check", profile, "--kind", "library", "--step", "lint", cwd=tmp_path)
    assert ran.code == 0, ran.out + ran.err
    assert "ok  library: qdev check" in ran.out
    core = profile / "templates" / "common" / "src" / "{{package}}" / "core.py.tmpl"
    edit(core, "from itertools import pairwise\n", "from itertools import pairwise\nimport os\n")
    ran = qdev("profile", "check", profile, "--kind", "library", "--step", "lint", cwd=tmp_path)
    assert ran.code == 1
    assert "failed  library: qdev check" in ran.out
    assert "F401" in ran.out
