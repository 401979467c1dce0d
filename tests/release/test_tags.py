"""Finding the last release: the greatest version among the format's tags reachable from HEAD."""

from __future__ import annotations

from pathlib import Path

from qdev.release.plan import last_release_tag
from qdev.tools.git import open_repo

from .release_helpers import git, make_repo


def test_the_greatest_reachable_version_wins(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, with_remote=False)
    root = repo.root
    git(root, "tag", "-a", "v0.1.10", "-m", "x", "HEAD~1")  # 0.1.10 > 0.1.9 > 0.1.0
    git(root, "tag", "-a", "v0.1.9", "-m", "x")
    git(root, "tag", "not-a-release")
    git(root, "tag", "vbanana")
    git(root, "switch", "-q", "-c", "side", "HEAD~2")
    repo.commit("feat: on a side branch")
    for n in range(12):  # more unreachable higher versions than the quick path tries
        git(root, "tag", f"v9.{n}.0")
    git(root, "switch", "-q", "main")
    found = last_release_tag(open_repo(root), "v{version}")
    assert found is not None
    assert found[0] == "v0.1.10"


def test_a_custom_tag_format(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, with_remote=False)
    git(repo.root, "tag", "-a", "release-2.0.0-final", "-m", "x")
    found = last_release_tag(open_repo(repo.root), "release-{version}-final")
    assert found is not None
    assert str(found[1]) == "2.0.0"
    assert last_release_tag(open_repo(repo.root), "pkg@{version}") is None
