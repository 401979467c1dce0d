"""Fault suite, group "edits after a crash": what the user changes after a release was killed is
never swept into the release by --continue and never destroyed by --abort."""

from __future__ import annotations

from pathlib import Path

import pytest

from qdev.release.journal import pending_warning

from .release_helpers import ReleaseRepo, crash, git, run_cli

pytestmark = pytest.mark.e2e

MY_EDIT = "\n[tool.my-tool]\nkeep = true\n"


def edit(repo: ReleaseRepo, name: str, text: str = MY_EDIT) -> Path:
    path = repo.root / name
    path.write_text(path.read_text() + text)
    return path


def crash_edit_and_continue(repo: ReleaseRepo, fault: str, name: str) -> tuple[Path, str]:
    """Kill a release at `fault`, edit `name`, and see --continue refuse: (the file, stderr)."""
    crash(repo, fault)
    path = edit(repo, name, "\n# my edit after the crash\n")
    refused = run_cli(repo.root, "release", "--continue")
    assert refused.returncode == 4, refused.stderr
    assert name in refused.stderr
    assert "changed since the release stopped" in refused.stderr
    assert "# my edit after the crash" in path.read_text()
    assert pending_warning(repo.root) is not None
    return path, refused.stderr


@pytest.mark.parametrize(
    ("fault", "name"),
    [
        ("commit:kill-after", "pyproject.toml"),
        ("tag:kill-after", "src/demo_pkg/__init__.py"),
        ("build:kill", "CHANGELOG.md"),
        ("verify:kill", "pyproject.toml"),
    ],
)
def test_continue_after_the_commit_refuses_the_users_edits_and_the_fix_works(
    release_repo: ReleaseRepo, fault: str, name: str
) -> None:
    path, refusal = crash_edit_and_continue(release_repo, fault, name)
    assert f"git stash push -- {name}" in refusal

    # The fix it names works: stash, continue, pop.
    git(release_repo.root, "stash", "push", "-q", "--", name)
    finished = run_cli(release_repo.root, "release", "--continue")
    assert finished.returncode == 0, finished.stderr
    assert "# my edit" not in git(release_repo.root, "show", f"v0.2.0:{name}")
    assert git(release_repo.remote, "rev-parse", "v0.2.0^{commit}") == git(
        release_repo.root, "rev-parse", "HEAD"
    )
    git(release_repo.root, "stash", "pop", "-q")
    assert "# my edit after the crash" in path.read_text()


@pytest.mark.parametrize(
    ("fault", "name", "in_place"),
    [
        ("version:kill-after", "pyproject.toml", True),
        ("version:kill-after", "src/demo_pkg/__init__.py", True),
        ("changelog:kill-after", "CHANGELOG.md", True),  # made by the release: only yours stays
        ("commit:kill", "pyproject.toml", True),
    ],
)
def test_continue_before_the_commit_refuses_the_users_edits_and_abort_keeps_them(
    release_repo: ReleaseRepo, fault: str, name: str, in_place: bool
) -> None:
    path, refusal = crash_edit_and_continue(release_repo, fault, name)
    assert "qdev release --abort" in refusal
    assert git(release_repo.root, "tag", "-l", "v0.2.0") == ""

    # The fix it names works: --abort keeps the edit, then a new release goes through.
    aborted = run_cli(release_repo.root, "release", "--abort")
    assert aborted.returncode == 0, aborted.stderr
    backups = list((release_repo.root / ".git" / "qdev-release-backup").rglob(name))
    assert len(backups) == 1
    assert "# my edit after the crash" in backups[0].read_text()
    assert str(backups[0]) in aborted.stdout
    if in_place:
        assert "# my edit after the crash" in path.read_text()
        assert "0.2.0" not in path.read_text()
    else:
        assert not path.exists()
    git(release_repo.root, "stash", "push", "-q", "--include-untracked")
    again = run_cli(release_repo.root, "release", "--skip-checks")
    assert again.returncode == 0, again.stderr
    assert "# my edit" not in git(release_repo.root, "show", f"v0.2.0:{name}")


def test_continue_leaves_unrelated_edits_out_of_the_release(release_repo: ReleaseRepo) -> None:
    crash(release_repo, "commit:kill")
    edit(release_repo, "notes/0.txt", "staged edit\n")
    git(release_repo.root, "add", "notes/0.txt")
    (release_repo.root / "scratch.txt").write_text("untracked\n")
    finished = run_cli(release_repo.root, "release", "--continue")
    assert finished.returncode == 0, finished.stderr
    released = git(release_repo.root, "show", "--name-only", "--format=", "v0.2.0^{commit}")
    assert sorted(released.splitlines()) == [
        "CHANGELOG.md",
        "pyproject.toml",
        "src/demo_pkg/__init__.py",
    ]
    status = git(release_repo.root, "status", "--porcelain")
    assert "M  notes/0.txt" in status.splitlines()  # still staged, not committed
    assert "?? scratch.txt" in status.splitlines()


@pytest.mark.parametrize("fault", ["commit:kill", "tag:kill-after", "build:kill"])
def test_abort_keeps_the_users_edits_and_a_backup(release_repo: ReleaseRepo, fault: str) -> None:
    crash(release_repo, fault)
    pyproject = edit(release_repo, "pyproject.toml")
    changelog = edit(release_repo, "CHANGELOG.md", "\nmy own notes\n")
    mine = {"pyproject.toml": pyproject.read_text(), "CHANGELOG.md": changelog.read_text()}

    aborted = run_cli(release_repo.root, "release", "--abort")
    assert aborted.returncode == 0, aborted.stderr
    assert "undone" in aborted.stdout
    # The release's change is taken out, the user's edit stays in place.
    text = pyproject.read_text()
    assert 'version = "0.1.0"' in text
    assert MY_EDIT in text
    # Every edited file is kept as it was, named in the message.
    for name, content in mine.items():
        assert name in aborted.stdout
        backups = list((release_repo.root / ".git" / "qdev-release-backup").rglob(name))
        assert [path.read_text() for path in backups] == [content]
    assert "qdev-release-backup" in aborted.stdout
    assert git(release_repo.root, "rev-list", "--count", "v0.1.0..HEAD") == "2"
    assert git(release_repo.root, "tag", "-l", "v0.2.0") == ""
    assert pending_warning(release_repo.root) is None


@pytest.mark.parametrize("fault", ["commit:kill", "commit:kill-after", "tag:kill-after"])
def test_a_commit_made_after_the_crash_is_never_released_nor_reset_away(
    release_repo: ReleaseRepo, fault: str
) -> None:
    crash(release_repo, fault)
    git(release_repo.root, "stash", "push", "-q", "--include-untracked")
    mine = release_repo.commit("fix: my own work after the crash")
    for action in ("--continue", "--abort"):
        refused = run_cli(release_repo.root, "release", action)
        assert refused.returncode == 4, refused.stderr
        assert "moved since the release stopped" in refused.stderr
        assert git(release_repo.root, "rev-parse", "HEAD") == mine
    assert git(release_repo.remote, "tag", "-l", "v0.2.0") == ""
