"""The release transaction on a real repo with a bare remote: success, fault injection at every
step, a remote that rejects the push, kill -9 with --continue and --abort, dry runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qdev.cli.app import run
from qdev.release.journal import pending_warning

from .release_helpers import ReleaseRepo, crash, git, release_at_fault, run_cli, snapshot

PRE_PUSH_STEPS = ["version", "changelog", "commit", "tag", "build", "verify", "push"]
pytestmark = pytest.mark.e2e


def release(root: Path, *args: str) -> int:
    return run(["release", "--path", str(root), "--skip-checks", *args])


def assert_released(repo: ReleaseRepo, tag: str, version: str) -> None:
    root = repo.root
    assert git(root, "describe", "--exact-match", "HEAD") == tag
    assert git(root, "cat-file", "-t", tag) == "tag"  # annotated
    assert (
        f'version = "{version}"   # bumped by qdev release' in (root / "pyproject.toml").read_text()
    )
    assert f'__version__ = "{version}"' in (root / "src/demo_pkg/__init__.py").read_text()
    assert f"## [{version}]" in (root / "CHANGELOG.md").read_text()
    assert git(repo.remote, "rev-parse", f"{tag}^{{commit}}") == git(root, "rev-parse", "HEAD")
    assert git(repo.remote, "rev-parse", "main") == git(root, "rev-parse", "HEAD")
    assert git(root, "status", "--porcelain") == ""
    assert pending_warning(root) is None
    wheel = root / "dist" / f"demo_pkg-{version}-py3-none-any.whl"
    assert wheel.is_file()


def test_release_bumps_commits_tags_builds_verifies_and_pushes(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert release(release_repo.root, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["version"] == "0.2.0"  # a feat since v0.1.0: minor
    assert result["done"] == PRE_PUSH_STEPS
    assert_released(release_repo, "v0.2.0", "0.2.0")
    pyproject = (release_repo.root / "pyproject.toml").read_text()
    assert pyproject.startswith("# The demo package: comments and layout must survive")
    message = git(release_repo.root, "tag", "-l", "--format=%(contents)", "v0.2.0")
    assert "### Features" in message
    assert "qdev check was skipped (--skip-checks)" in message


def test_dry_run_prints_everything_and_writes_nothing(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    before, remote = snapshot(release_repo.root), release_repo.remote_refs()
    assert release(release_repo.root, "minor", "--pre", "rc", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "0.1.0 -> 0.2.0rc1" in out
    assert "tag: v0.2.0rc1" in out
    assert "## [0.2.0rc1]" in out
    assert "- **core:** handle empty input" in out
    for step in PRE_PUSH_STEPS:
        assert f" {step} " in out
    assert snapshot(release_repo.root) == before
    assert release_repo.remote_refs() == remote


def test_dry_run_json_is_for_scripts(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert release(release_repo.root, "major", "--dry-run", "--json", "--no-push") == 0
    plan = json.loads(capsys.readouterr().out)
    assert (plan["version"], plan["tag"], plan["push"]) == ("1.0.0", "v1.0.0", False)
    assert plan["steps"] == ["version", "changelog", "commit", "tag", "build", "verify"]
    assert plan["files"] == ["pyproject.toml", "src/demo_pkg/__init__.py", "CHANGELOG.md"]


# Every step, failing before and after its own work; after the push is past the point of no return.
FAULTS = [
    (step, action)
    for step in PRE_PUSH_STEPS
    for action in ("fail", "fail-after")
    if (step, action) != ("push", "fail-after")
]


@pytest.mark.parametrize(("step", "action"), FAULTS)
def test_a_failure_before_the_push_leaves_the_repo_exactly_as_it_was(
    release_repo: ReleaseRepo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    step: str,
    action: str,
) -> None:
    before, remote = snapshot(release_repo.root), release_repo.remote_refs()
    monkeypatch.setenv("QDEV_RELEASE_FAIL_AT", f"{step}:{action}")
    assert release(release_repo.root) == 1
    assert snapshot(release_repo.root) == before
    assert release_repo.remote_refs() == remote
    err = capsys.readouterr().err
    assert f"step {step} failed" in err
    assert "rolled back: nothing changed" in err


def test_a_push_rejected_by_the_remote_rolls_everything_back(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = release_repo.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'releases are frozen today' >&2\nexit 1\n")
    hook.chmod(0o755)
    before, remote = snapshot(release_repo.root), release_repo.remote_refs()
    assert release(release_repo.root) == 1
    assert snapshot(release_repo.root) == before
    assert release_repo.remote_refs() == remote
    err = capsys.readouterr().err
    assert "releases are frozen today" in err
    assert "rolled back" in err


@pytest.mark.parametrize(
    "fault",
    ["version:kill-after", "commit:kill-after", "tag:kill-after", "build:kill", "push:kill-after"],
)
def test_a_release_killed_midway_warns_and_continues(release_repo: ReleaseRepo, fault: str) -> None:
    crash(release_repo, fault)
    warning = pending_warning(release_repo.root / "src")
    assert warning is not None
    assert "release 0.2.0 is half-done" in warning
    refused = run_cli(release_repo.root, "release", "--skip-checks")
    assert refused.returncode == 4
    assert "half-done" in refused.stderr
    finished = run_cli(release_repo.root, "release", "--continue")
    assert finished.returncode == 0, finished.stderr
    assert_released(release_repo, "v0.2.0", "0.2.0")
    assert (
        git(release_repo.root, "rev-list", "--count", "v0.1.0..HEAD") == "3"
    )  # one release commit


@pytest.mark.parametrize(
    "fault", ["changelog:kill", "commit:kill-after", "tag:kill-after", "verify:kill"]
)
def test_a_release_killed_before_the_push_can_be_aborted(
    release_repo: ReleaseRepo, fault: str
) -> None:
    before, remote = snapshot(release_repo.root), release_repo.remote_refs()
    crash(release_repo, fault)
    aborted = run_cli(release_repo.root, "release", "--abort")
    assert aborted.returncode == 0, aborted.stderr
    assert "undone" in aborted.stdout
    assert snapshot(release_repo.root) == before
    assert release_repo.remote_refs() == remote
    assert pending_warning(release_repo.root) is None


def test_abort_after_the_push_deletes_nothing(release_repo: ReleaseRepo) -> None:
    crash(release_repo, "push:kill-after")
    aborted = run_cli(release_repo.root, "release", "--abort")
    assert aborted.returncode == 0
    assert "pushed already, so nothing was undone" in aborted.stdout
    assert git(release_repo.remote, "tag", "-l") == "v0.1.0\nv0.2.0"
    assert git(release_repo.root, "tag", "-l", "v0.2.0") == "v0.2.0"


def test_continue_and_abort_need_a_release_in_progress(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["release", "--path", str(release_repo.root), "--continue"]) == 2
    assert "no release is in progress" in capsys.readouterr().err


def test_no_push_releases_locally(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = release_repo.remote_refs()
    assert release(release_repo.root, "patch", "--no-push") == 0
    assert git(release_repo.root, "describe", "--exact-match", "HEAD") == "v0.1.1"
    assert release_repo.remote_refs() == remote


def test_without_a_terminal_it_never_prompts(release_repo: ReleaseRepo) -> None:
    # stdin is an open pipe nobody writes to: a prompt would hang until the timeout.
    child = subprocess.Popen(
        [sys.executable, "-m", "qdev", "release", "--skip-checks", "--no-push"],
        cwd=release_repo.root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == 0, err
    assert "released v0.2.0" in out


@pytest.mark.parametrize("fault", ["build:term", "tag:term-after"])
def test_an_interrupted_release_rolls_back_and_exits_130(
    release_repo: ReleaseRepo, fault: str
) -> None:
    before, remote = snapshot(release_repo.root), release_repo.remote_refs()
    stopped = release_at_fault(release_repo.root, fault)
    assert stopped.returncode == 130, stopped.stderr
    assert snapshot(release_repo.root) == before
    assert release_repo.remote_refs() == remote
