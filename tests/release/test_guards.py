"""Every guard refuses with exit 4, says why and how to fix it, and changes nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from qdev.cli.app import run
from qdev.envstate import write_marker

from .release_helpers import ReleaseRepo, git, snapshot


def release(root: Path, *args: str) -> int:
    return run(["release", "--path", str(root), "--skip-checks", *args])


def assert_refused(repo: ReleaseRepo, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    before, remote_before = snapshot(repo.root), repo.remote_refs()
    assert release(repo.root, *args) == 4
    assert snapshot(repo.root) == before
    assert repo.remote_refs() == remote_before
    err = capsys.readouterr().err
    assert "fix:" in err
    return err


def test_a_dirty_tree_is_refused(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    (release_repo.root / "src" / "demo_pkg" / "__init__.py").write_text(
        '__version__ = "0.1.0"\nx = 1\n'
    )
    assert "not clean" in assert_refused(release_repo, capsys)


def test_an_untracked_file_is_refused(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    (release_repo.root / "new.py").write_text("x = 1\n")
    assert "?? new.py" in assert_refused(release_repo, capsys)


def test_another_branch_is_refused(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    git(release_repo.root, "switch", "-q", "-c", "feature")
    err = assert_refused(release_repo, capsys)
    assert "releases are cut from main" in err
    assert "git switch main" in err


def test_behind_the_remote_is_refused(
    release_repo: ReleaseRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(release_repo.remote), str(other))
    (other / "x.txt").write_text("x\n")
    git(other, "add", "x.txt")
    git(other, "commit", "-q", "-m", "fix: from a colleague")
    git(other, "push", "-q", "origin", "main")
    err = assert_refused(release_repo, capsys)
    assert "behind origin/main" in err
    assert "git pull --rebase" in err


def test_an_existing_tag_is_refused(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    git(release_repo.root, "tag", "v0.2.0", "HEAD~1")  # a lightweight tag, not a release tag
    assert "the tag v0.2.0 exists already" in assert_refused(release_repo, capsys, "0.2.0")


def test_a_tag_on_the_remote_is_refused(
    release_repo: ReleaseRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(release_repo.remote), str(other))
    git(other, "tag", "v0.2.0")
    git(other, "push", "-q", "origin", "v0.2.0")
    assert "the remote origin has the tag v0.2.0" in assert_refused(release_repo, capsys)


def test_no_commits_since_the_last_release_is_refused(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    git(release_repo.root, "tag", "-a", "v0.1.5", "-m", "x")
    assert "no commits since the last release (v0.1.5)" in assert_refused(release_repo, capsys)


def test_a_version_that_does_not_go_up_is_refused(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "0.0.9 is not greater than the current version 0.1.0" in assert_refused(
        release_repo, capsys, "0.0.9"
    )


def test_commits_that_call_for_no_bump_are_refused_by_auto(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from .release_helpers import make_repo

    repo = make_repo(tmp_path)
    git(repo.root, "tag", "-a", "v0.1.9", "-m", "x")
    repo.commit("docs: explain")
    git(repo.root, "push", "-q", "origin", "main")
    assert "auto finds no bump" in assert_refused(repo, capsys)


def test_push_without_a_remote_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from .release_helpers import make_repo

    repo = make_repo(tmp_path, with_remote=False)
    before = snapshot(repo.root)
    assert release(repo.root) == 4
    assert snapshot(repo.root) == before
    assert "--no-push" in capsys.readouterr().err


def test_failing_checks_are_refused(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    release_repo.set_config(
        '\n[tool.qdev.check]\nsteps = ["boom"]\n'
        '[tool.qdev.check.custom.boom]\nrun = ["python3", "-c", "raise SystemExit(1)"]\n'
    )
    subprocess.run(["uv", "venv", "-q", ".venv"], cwd=release_repo.root, check=True)
    write_marker(release_repo.root)  # as `qdev env` leaves it
    before = snapshot(release_repo.root, skip=(".qdev",))
    assert run(["release", "--path", str(release_repo.root)]) == 4
    assert snapshot(release_repo.root, skip=(".qdev",)) == before
    err = capsys.readouterr().err
    assert "qdev check does not pass" in err
    assert "--skip-checks" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sideways"], '"sideways" is not a bump'),
        (["minor", "--pre", "gamma"], '--pre "gamma" is not a pre-release label'),
        (["post"], '"post" releases need the pep440 scheme'),
        (["1.2"], "1.2 is not a semantic version"),
        (["--continue", "--abort"], "do not go together"),
    ],
)
def test_bad_arguments_exit_2_and_change_nothing(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = snapshot(release_repo.root)
    assert release(release_repo.root, *args) == 2
    assert snapshot(release_repo.root) == before
    assert message in capsys.readouterr().err
