"""sync's journal: every write undone on failure, and after a kill by the next run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from qdev.profile import transaction


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "a.txt").write_text("old a\n")
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o755)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    return tmp_path


def files(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode)
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    } | {"index": ((root / ".git" / "index").read_bytes(), 0)}


def test_an_error_inside_puts_every_file_and_the_index_back(repo: Path) -> None:
    before = files(repo)
    paths = ["a.txt", "run.sh", "new/deep/b.txt"]

    def sync_that_fails() -> None:
        with transaction.transaction(repo, repo / ".git", paths) as tx:
            tx.write("a.txt", b"new a\n")
            tx.remove("run.sh")
            tx.write("new/deep/b.txt", b"b\n")
            subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        sync_that_fails()
    assert files(repo) == before
    assert not (repo / "new").exists()
    assert not transaction.pending(repo / ".git")


def test_a_journal_left_by_a_killed_run_is_undone_by_recover(repo: Path) -> None:
    before = files(repo)
    folder = transaction._prepare(repo, repo / ".git", ["a.txt", "new/b.txt"])
    (repo / "a.txt").write_text("half-written sync\n")
    (repo / "new").mkdir()
    (repo / "new" / "b.txt").write_text("b\n")
    assert folder.is_dir()
    assert transaction.pending(repo / ".git")
    assert transaction.recover(repo, repo / ".git")
    assert files(repo) == before
    assert not transaction.recover(repo, repo / ".git")  # nothing left to undo


def test_leftovers_from_before_the_commit_point_are_only_cleaned(repo: Path) -> None:
    (repo / ".git" / "qdev-sync.tmp").mkdir()
    (repo / ".git" / "qdev-sync.done").mkdir()
    assert not transaction.recover(repo, repo / ".git")
    assert not (repo / ".git" / "qdev-sync.tmp").exists()
    assert not (repo / ".git" / "qdev-sync.done").exists()
