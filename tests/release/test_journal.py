"""The journal file and the cheap warning every other qdev command prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qdev.release import journal
from qdev.release.journal import FileEdit, Journal, pending_warning

from .release_helpers import ReleaseRepo, git, run_cli


def sample() -> Journal:
    return Journal(
        version="1.2.0",
        previous="1.1.0",
        tag="v1.2.0",
        tag_message="pkg 1.2.0\n",
        commit_message="chore(release): v1.2.0",
        branch="main",
        saved_head="0" * 40,
        edits=[FileEdit("pyproject.toml", 'version = "1.1.0"\n', 'version = "1.2.0"\n')],
        steps=["version", "commit", "tag"],
        done=["version"],
    )


def test_a_journal_round_trips_through_its_file(tmp_path: Path) -> None:
    journal.save(tmp_path, sample())
    assert journal.load(tmp_path) == sample()
    assert sample().remaining == ["commit", "tag"]
    journal.clear(tmp_path)
    assert journal.load(tmp_path) is None


def test_the_warning_names_the_release_and_both_ways_out(release_repo: ReleaseRepo) -> None:
    assert pending_warning(release_repo.root) is None
    journal.save(release_repo.root / ".git", sample())
    warning = pending_warning(release_repo.root / "src" / "demo_pkg")
    assert warning is not None
    assert "release 1.2.0 is half-done (done: version)" in warning
    assert "--continue" in warning
    assert "--abort" in warning


def test_the_warning_finds_the_journal_from_a_worktree(
    release_repo: ReleaseRepo, tmp_path: Path
) -> None:
    worktree = tmp_path / "wt"
    git(release_repo.root, "worktree", "add", "-q", str(worktree), "-b", "other")
    git_dir = Path(git(worktree, "rev-parse", "--absolute-git-dir"))
    journal.save(git_dir, sample())
    assert pending_warning(worktree) is not None
    assert pending_warning(release_repo.root) is None  # the main worktree has its own


def test_the_warning_is_cheap_to_import() -> None:
    probe = (
        "import sys, qdev.release.journal; "
        "print(sorted(m for m in ('git', 'pydantic', 'tomlkit', 'packaging') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_other_commands_warn_about_a_half_done_release(release_repo: ReleaseRepo) -> None:
    quiet = run_cli(release_repo.root, "config", "show")
    assert "half-done" not in quiet.stderr
    journal.save(release_repo.root / ".git", sample())
    warned = run_cli(release_repo.root / "src", "config", "show")
    assert "qdev: warning: release 1.2.0 is half-done" in warned.stderr
    assert warned.returncode == quiet.returncode  # a warning, not a failure
