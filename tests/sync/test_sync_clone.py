"""The base of the merge comes from the repo's own record: a fresh clone on another machine,
with a new home and an empty cache, syncs to exactly the same bytes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.profile import cache
from tests.cli_runner import RunQdev

from .conftest import copy_repo
from .helpers import commit_all, edit, git, repo_state

pytestmark = pytest.mark.e2e


def test_a_fresh_clone_with_an_empty_cache_syncs_with_the_same_result(
    made_repo: Callable[[], Path], tmp_path: Path, qdev: RunQdev, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = copy_repo(made_repo(), tmp_path / "here" / "demo")
    edit(here / "pyproject.toml", "line-length = 100", "line-length = 120")
    edit(here / "README.md", "## Working on it", "Ours.\n\n## Working on it")
    commit_all(here, "Edits")
    git(tmp_path, "clone", "-q", "--bare", str(here), str(tmp_path / "remote.git"))

    assert qdev("sync", "--ref", "v2.0.0", cwd=here).code == 1
    result_here = repo_state(here)

    other_home = tmp_path / "other-machine"
    monkeypatch.setenv("HOME", str(other_home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(other_home / ".cache"))
    assert not cache.cache_dir().exists()
    there = tmp_path / "there" / "demo"
    git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(there))
    ran = qdev("sync", "--ref", "v2.0.0", cwd=there)

    assert ran.code == 1, ran.out + ran.err
    assert "base" not in ran.out  # no warning that the base could not be re-made
    assert repo_state(there) == result_here
    trees = list((cache.cache_dir() / "trees").iterdir())
    assert len(trees) == 2  # v2.0.0 (theirs) and v1.0.0 (the base), each fetched once
