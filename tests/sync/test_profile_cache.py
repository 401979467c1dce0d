"""Git profiles: pinned refs only (a branch on purpose), fetched once into the cache keyed by
commit, one fetch under concurrent processes, git's own authentication, clear errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.errors import UsageError
from qdev.profile import cache, source
from qdev.profile.cache import ProfileUnavailable
from tests.cli_runner import RunQdev

from .conftest import GIT_ID, copy_repo
from .helpers import commit_all, edit, git

pytestmark = pytest.mark.e2e


def test_a_tag_is_fetched_once_and_then_read_offline(
    team_profile: Callable[[], Path], tmp_path: Path
) -> None:
    url = str(team_profile())
    first = cache.fetch(url, "v2.0.0", relative_to=tmp_path)
    assert (first.folder / "profile.toml").is_file()
    assert first.folder == cache.tree_path(first.commit)
    assert first.commit == git(team_profile(), "rev-parse", "v2.0.0^{commit}").strip()
    moved = tmp_path / "moved"
    shutil.copytree(team_profile(), moved)
    again = cache.fetch(str(moved), first.commit, relative_to=tmp_path, offline=True)
    assert again.folder == first.folder  # a commit already in the cache needs no repository
    with pytest.raises(ProfileUnavailable, match="not in the cache") as caught:
        cache.fetch(str(moved), "v1.0.0", relative_to=tmp_path, offline=True)
    assert caught.value.exit_code == 3


def test_profile_from_git_knows_its_origin(
    team_profile: Callable[[], Path], tmp_path: Path
) -> None:
    profile = source.from_git(str(team_profile()), "v3.0.0", relative_to=tmp_path)
    assert (profile.name, profile.version) == ("team", "3.0.0")
    assert profile.origin is not None
    assert profile.origin.ref == "v3.0.0"
    assert "team_channel" in profile.variables
    assert [m.version for m in profile.notes_between("1.0.0", "3.0.0")] == ["2.0.0", "3.0.0"]


def test_a_branch_is_refused_unless_followed_on_purpose(
    team_profile: Callable[[], Path], tmp_path: Path
) -> None:
    url = str(team_profile())
    with pytest.raises(UsageError, match="is a branch") as caught:
        cache.fetch(url, "main", relative_to=tmp_path)
    assert caught.value.fix is not None
    assert 'branch = "main"' in caught.value.fix
    followed = cache.fetch(url, "main", branch=True, relative_to=tmp_path)
    assert followed.commit == git(team_profile(), "rev-parse", "main").strip()
    with pytest.raises(UsageError, match="no branch"):
        cache.fetch(url, "v1.0.0", branch=True, relative_to=tmp_path)


def test_a_followed_branch_moves_on_sync_but_check_reads_the_cache(
    made_repo: Callable[[], Path], team_profile: Callable[[], Path], tmp_path: Path, qdev: RunQdev
) -> None:
    profile = tmp_path / "profile"
    shutil.copytree(team_profile(), profile)
    repo = copy_repo(made_repo(), tmp_path / "demo")
    qdev_toml = repo / "qdev.toml"
    edit(
        qdev_toml,
        f'git = "{team_profile()}"\nref = "v1.0.0"',
        f'git = "{profile}"\nbranch = "main"',
    )
    commit_all(repo, "Follow the profile's main branch")
    assert qdev("sync", "--yes", cwd=repo).code == 0
    commit_all(repo, "sync")
    assert 'branch = "main"' in qdev_toml.read_text()
    with (profile / "templates" / "common" / ".editorconfig.tmpl").open("a") as handle:
        handle.write("charset = utf-8\n")
    subprocess.run(["git", *GIT_ID, "commit", "-qam", "utf-8"], cwd=profile, check=True)
    assert qdev("sync", "--check", cwd=repo).code == 0  # offline: the branch as cached
    assert qdev("sync", cwd=repo).code == 0  # sync fetches the branch's newest commit
    assert "charset = utf-8" in (repo / ".editorconfig").read_text()


def test_a_url_with_a_credential_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="user name or password") as caught:
        cache.fetch("https://bot:s3cret@git.example.com/p.git", "v1", relative_to=tmp_path)
    assert caught.value.fix is not None
    assert "credential helper" in caught.value.fix
    cache.check_url("git@git.example.com:team/profile.git")  # ssh user names are fine
    cache.check_url("ssh://git@git.example.com/team/profile.git")


def test_an_unknown_ref_or_repository_exits_3_and_names_it(
    team_profile: Callable[[], Path], tmp_path: Path
) -> None:
    with pytest.raises(ProfileUnavailable, match='no tag, branch or commit "v9"'):
        cache.fetch(str(team_profile()), "v9", relative_to=tmp_path)
    with pytest.raises(ProfileUnavailable, match="cannot fetch the profile repository"):
        cache.fetch(str(tmp_path / "nowhere"), "v1", relative_to=tmp_path)


def test_concurrent_processes_fetch_the_profile_once(
    team_profile: Callable[[], Path], tmp_path: Path
) -> None:
    script = (
        "import sys; from pathlib import Path; from qdev.profile import cache;"
        "print(cache.fetch(sys.argv[1], 'v2.0.0', relative_to=Path('.')).commit)"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(team_profile())],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for _ in range(4)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outputs
    assert len({out.strip() for out, _ in outputs}) == 1
    mirrors = list((cache.cache_dir() / "mirrors").iterdir())
    assert len(mirrors) == 1
    assert not [p for p in (cache.cache_dir() / "trees").iterdir() if p.name.startswith(".")]


def test_the_config_loader_reads_the_git_profiles_base_config(
    made_repo: Callable[[], Path], tmp_path: Path, qdev: RunQdev
) -> None:
    repo = copy_repo(made_repo(), tmp_path / "demo")
    ran = qdev("config", "show", "--sources", cwd=repo)
    assert ran.code == 0, ran.err
    coverage = next(line for line in ran.out.splitlines() if line.startswith("coverage ="))
    assert "# profile from git at commit " in coverage  # the profile's qdev.toml, in the cache
    edit(repo / "qdev.toml", 'ref = "v1.0.0"', 'ref = "main"')
    bad = qdev("config", "validate", cwd=repo)
    assert bad.code == 2
    assert "qdev.toml:3" in bad.err
    assert "is a branch" in bad.err
