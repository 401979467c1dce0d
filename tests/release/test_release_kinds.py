"""Releases of other shapes: a version taken from git tags, calendar versions, signed tags, and
a release that runs `qdev check` as its guard."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from qdev.envstate import write_marker

from .release_helpers import ReleaseRepo, git, make_repo, run_cli

pytestmark = pytest.mark.e2e

DYNAMIC = """\
[project]
name = "demo-pkg"
dynamic = ["version"]
requires-python = ">=3.11"

[build-system]
requires = ["hatchling", "hatch-vcs"]
build-backend = "hatchling.build"

[tool.hatch.version]
source = "vcs"

[tool.hatch.build.targets.wheel]
packages = ["src/demo_pkg"]

[tool.qdev.release]
changelog = ""
"""


def test_a_version_from_git_tags_only_gets_a_tag(release_repo: ReleaseRepo) -> None:
    root = release_repo.root
    (root / "pyproject.toml").write_text(DYNAMIC)
    (root / "src/demo_pkg/__init__.py").write_text('"""Demo."""\n')
    git(root, "commit", "-q", "-am", "feat!: versions come from tags")
    git(root, "push", "-q", "origin", "main")
    head = git(root, "rev-parse", "HEAD")
    done = run_cli(root, "release", "--skip-checks", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["current"], result["version"]) == ("0.1.0", "0.2.0")  # breaking before 1.0
    assert result["done"] == ["tag", "build", "verify", "push"]
    assert git(root, "rev-parse", "HEAD") == head  # no commit: only the tag
    assert git(release_repo.remote, "rev-parse", "v0.2.0^{commit}") == head
    assert (root / "dist" / "demo_pkg-0.2.0-py3-none-any.whl").is_file()


def test_calver_releases_are_dated_and_numbered_within_the_day(release_repo: ReleaseRepo) -> None:
    release_repo.set_config(release='scheme = "calver"\ncalver_format = "YYYY.0M.MICRO"\n')
    today = date.today()
    first = run_cli(release_repo.root, "release", "--skip-checks", "--no-push", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["version"] == f"{today.year}.{today.month:02d}.0"
    release_repo.commit("fix: a second fix today")
    second = run_cli(
        release_repo.root, "release", "--skip-checks", "--no-push", "--dry-run", "--json"
    )
    assert json.loads(second.stdout)["version"] == f"{today.year}.{today.month:02d}.1"


def test_a_tag_signed_with_ssh(release_repo: ReleaseRepo, tmp_path: Path) -> None:
    key = tmp_path / "signing_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    git(release_repo.root, "config", "user.signingkey", str(key))
    release_repo.set_config(release='sign = "ssh"\n')
    done = run_cli(release_repo.root, "release", "--skip-checks", "--no-push")
    assert done.returncode == 0, done.stderr
    assert "-----BEGIN SSH SIGNATURE-----" in git(release_repo.root, "cat-file", "-p", "v0.2.0")


def test_a_release_runs_qdev_check_and_goes_ahead_when_it_passes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    repo.set_config(
        '\n[tool.qdev.check]\nsteps = ["ok"]\n'
        '[tool.qdev.check.custom.ok]\nrun = ["python3", "-c", "pass"]\n'
    )
    subprocess.run(["uv", "venv", "-q", ".venv"], cwd=repo.root, check=True)
    write_marker(repo.root)
    done = run_cli(repo.root, "release", "--no-push", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["checks"] == "passed"
    message = git(repo.root, "tag", "-l", "--format=%(contents)", "v0.2.0")
    assert "skipped" not in message


SETUPTOOLS = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"
"""


def test_build_backends_that_write_into_the_source_leave_no_trace(
    release_repo: ReleaseRepo,
) -> None:
    path = release_repo.root / "pyproject.toml"
    text = path.read_text()
    start, end = text.index("[build-system]"), text.index("[tool.qdev.release]")
    path.write_text(text[:start] + SETUPTOOLS + "\n" + text[end:])
    git(release_repo.root, "commit", "-q", "-am", "build: setuptools")
    done = run_cli(release_repo.root, "release", "--skip-checks", "--no-push")
    assert done.returncode == 0, done.stderr
    status = git(release_repo.root, "status", "--porcelain", "--ignored")
    assert status.splitlines() == ["!! dist/", "!! ignored.log"]  # no build/, no *.egg-info
    assert git(release_repo.root, "worktree", "list").count("\n") == 0


def test_a_project_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, with_remote=False)
    sub = repo.root / "libs" / "demo"
    sub.mkdir(parents=True)
    for name in ("pyproject.toml", "src"):
        git(repo.root, "mv", name, f"libs/demo/{name}")
    git(repo.root, "commit", "-q", "-m", "refactor: move the package into libs/demo")
    done = run_cli(sub, "release", "--skip-checks", "--no-push", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"] == [
        "libs/demo/pyproject.toml",
        "libs/demo/src/demo_pkg/__init__.py",
        "libs/demo/CHANGELOG.md",
    ]
    assert 'version = "0.2.0"' in (sub / "pyproject.toml").read_text()
    assert (sub / "dist" / "demo_pkg-0.2.0-py3-none-any.whl").is_file()
    assert git(repo.root, "status", "--porcelain") == ""
