"""A repo made by `qdev init` can be released by `qdev release` with no hand edits.

Found by hand: the package template once wrote `__version__ = "0.1.0"`, so the release's verify
step saw the old version in the new wheel and rolled the release back.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli_runner import RunQdev

from .helpers import MadeRepo, copy_repo

pytestmark = pytest.mark.e2e


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.parametrize("kind", ["library", "service"])
def test_a_new_repo_releases_and_its_wheel_reports_the_new_version(
    kind: str, made_repo: MadeRepo, tmp_path: Path, qdev: RunQdev
) -> None:
    repo = copy_repo(made_repo(kind), tmp_path / "demo")
    assert qdev("env", "--frozen", cwd=repo).code == 0
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "--no-verify", "-m", "feat: the first signal")

    ran = qdev("release", "--no-push", "--skip-checks", cwd=repo)

    assert ran.code == 0, ran.err
    assert git(repo, "tag", "--list") == "v0.2.0"
    assert 'version = "0.2.0"' in (repo / "pyproject.toml").read_text()
    assert "## [0.2.0]" in (repo / "CHANGELOG.md").read_text()
    assert git(repo, "status", "--porcelain") == ""
