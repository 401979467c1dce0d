"""tools/git.py's path-based questions, asked of real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

from qdev.tools import git


def make_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "pkg").mkdir()
    (path / "pkg" / "mod.py").write_text("x = 1\n")
    subprocess.run(["git", "add", "--all"], cwd=path, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "first"], cwd=path, check=True)
    return path


def test_toplevel_is_the_work_tree_top_from_a_folder_or_a_file(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    assert git.toplevel(repo / "pkg") == repo.resolve()
    assert git.toplevel(repo / "pkg" / "mod.py") == repo.resolve()


def test_toplevel_is_none_outside_a_repository_and_for_a_missing_path(tmp_path: Path) -> None:
    assert git.toplevel(tmp_path) is None
    assert git.toplevel(tmp_path / "gone" / "deeper" / "file.py") is None


def test_commit_facts_name_the_first_parent_the_tree_and_the_whole_message(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    first = git.resolve_commit(repo, "HEAD")
    (repo / "pkg" / "mod.py").write_text("x = 2\n")
    second = git.commit_all(repo, "second\n\nbody")
    tree = subprocess.run(
        ["git", "rev-parse", "HEAD^{tree}"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    facts = git.commit_facts(repo, second)
    assert facts is not None
    assert (facts[0], facts[1], facts[2].rstrip()) == (first, tree, "second\n\nbody")
    root_commit = git.commit_facts(repo, f"{second}^")
    assert root_commit is not None
    assert root_commit[0] == ""  # a root commit has no parent
    assert git.commit_facts(repo, "no-such-rev") is None
