"""What sync touches and what it never does: deleted, untracked, ignored and dirty files,
policies, files the profile drops, new variables, and --dry-run / --json."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.profile.sync import SyncOptions, plan_sync
from tests.cli_runner import RunQdev

from .conftest import copy_repo
from .helpers import commit_all, edit, git, repo_state

pytestmark = pytest.mark.e2e


@pytest.fixture
def repo(made_repo: Callable[[], Path], tmp_path: Path) -> Path:
    return copy_repo(made_repo(), tmp_path / "demo")


def test_untracked_and_ignored_files_beside_managed_ones_are_never_touched(
    repo: Path, qdev: RunQdev
) -> None:
    (repo / ".editorconfig").write_text("# ours, untracked, where v2 renders one\n")
    (repo / "notes.txt").write_text("untracked notes\n")
    (repo / ".venv").mkdir()
    (repo / ".venv" / "marker").write_text("ignored\n")
    ran = qdev("sync", "--ref", "v2.0.0", cwd=repo)
    assert ran.code == 0, ran.out + ran.err
    assert "skip  .editorconfig" not in ran.out  # not shown: nothing done
    assert (repo / ".editorconfig").read_text() == "# ours, untracked, where v2 renders one\n"
    assert (repo / "notes.txt").read_text() == "untracked notes\n"
    assert (repo / ".venv" / "marker").read_text() == "ignored\n"


def test_a_dirty_managed_file_is_refused_with_exit_4_and_nothing_changes(
    repo: Path, qdev: RunQdev
) -> None:
    edit(repo / "pyproject.toml", "dependencies = []", 'dependencies = ["x"]')
    before = repo_state(repo)
    ran = qdev("sync", "--ref", "v2.0.0", cwd=repo)
    assert ran.code == 4
    assert "uncommitted changes in files qdev sync manages: pyproject.toml" in ran.err
    assert repo_state(repo) == before


def test_dirty_files_sync_does_not_manage_may_stay(repo: Path, qdev: RunQdev) -> None:
    edit(repo / "src" / "demo" / "core.py", '"""Core', '"""The core')  # `once`: not managed
    (repo / "scratch.py").write_text("x = 1\n")
    ran = qdev("sync", "--ref", "v2.0.0", cwd=repo)
    assert ran.code == 0, ran.err
    assert '"""The core' in (repo / "src" / "demo" / "core.py").read_text()


def test_once_files_are_never_synced_and_a_dropped_file_is_removed_only_unedited(
    repo: Path, qdev: RunQdev
) -> None:
    (repo / "tests" / "test_core.py").unlink()  # `once`: deleting it is the repo's business
    commit_all(repo, "Our own tests")
    assert qdev("sync", "--ref", "v2.0.0", cwd=repo).code == 0
    commit_all(repo, "v2")
    assert not (repo / "tests" / "test_core.py").exists()
    ran = qdev("sync", "--ref", "v3.0.0", "--yes", cwd=repo)  # v3 drops noxfile.py
    assert ran.code == 0, ran.err
    assert "remove  noxfile.py" in ran.out
    assert not (repo / "noxfile.py").exists()
    assert "noxfile.py is gone" in ran.out


def test_a_dropped_file_the_repo_edited_is_kept(repo: Path, qdev: RunQdev) -> None:
    edit(repo / "noxfile.py", "register()", "register()  # ours")
    commit_all(repo, "Our nox")
    ran = qdev("sync", "--ref", "v3.0.0", "--yes", cwd=repo)
    assert ran.code == 0, ran.err
    assert "keep  noxfile.py  no longer in the profile" in ran.out
    assert "# ours" in (repo / "noxfile.py").read_text()


def test_a_new_variable_is_asked_on_a_terminal_and_reported_with_its_default_otherwise(
    repo: Path, qdev: RunQdev
) -> None:
    asked: list[tuple[str, str]] = []

    def ask(question: str, default: str, choices: object) -> str:
        asked.append((question, default))
        return "#rates-dev"

    plan = plan_sync(repo, SyncOptions(ref="v3.0.0"), ask)
    assert asked == [("Chat channel for CI news", "#quant-dev")]
    readme = next(f for f in plan.files if f.path == "README.md")
    assert readme.new is not None
    assert b"Questions go to #rates-dev." in readme.new
    assert plan.state.answers == {"team_channel": "#rates-dev"}

    ran = qdev("sync", "--ref", "v3.0.0", "--yes", cwd=repo)
    assert ran.code == 0, ran.err
    assert "new profile variable team_channel = '#quant-dev' (its default" in ran.out
    assert "Questions go to #quant-dev." in (repo / "README.md").read_text()
    commit_all(repo, "v3")
    ran = qdev("sync", "--set", "team_channel=#fx", cwd=repo)
    assert ran.code == 0, ran.err
    assert "Questions go to #fx." in (repo / "README.md").read_text()
    assert 'team_channel = "#fx"' in (repo / ".qdev" / "state.toml").read_text()
    bad = qdev("sync", "--set", "nope=1", cwd=repo)
    assert bad.code == 2
    assert "no such variable" in bad.err


def test_dry_run_prints_the_diff_and_json_the_plan_and_neither_writes(
    repo: Path, qdev: RunQdev
) -> None:
    before = repo_state(repo)
    ran = qdev("sync", "--ref", "v2.0.0", "--dry-run", cwd=repo)
    assert ran.code == 0, ran.err
    assert '-  "ruff>=0.6",\n+  "ruff>=0.7",' in ran.out
    assert "nothing written (--dry-run)" in ran.out
    plan = json.loads(qdev("sync", "--ref", "v2.0.0", "--dry-run", "--json", cwd=repo).out)
    actions = {f["path"]: f["action"] for f in plan["files"]}
    assert actions["pyproject.toml"] == "update"
    assert actions[".editorconfig"] == "create"
    assert plan["profile"]["version"] == "2.0.0"
    assert plan["notes"][0]["version"] == "2.0.0"
    assert repo_state(repo) == before


def test_ref_and_check_do_not_mix_and_ref_needs_a_git_profile(
    repo: Path, qdev: RunQdev, tmp_path: Path
) -> None:
    assert qdev("sync", "--check", "--ref", "v2.0.0", cwd=repo).code == 2
    assert qdev("sync", "--conflicts-only", cwd=repo).code == 2
    assert qdev("sync", "--ref", "v9.9.9", cwd=repo).code == 3
    outside = tmp_path / "plain"
    outside.mkdir()
    ran = qdev("sync", cwd=outside)
    assert ran.code == 2
    assert "not inside a git repository" in ran.err


def test_unresolved_conflicts_from_a_sync_block_the_next_one(repo: Path, qdev: RunQdev) -> None:
    edit(repo / "pyproject.toml", "line-length = 100", "line-length = 120")
    commit_all(repo, "Wider")
    assert qdev("sync", "--ref", "v2.0.0", cwd=repo).code == 1
    ran = qdev("sync", cwd=repo)
    assert ran.code == 4
    assert "conflicts are not resolved yet: pyproject.toml" in ran.err
    text = (repo / "pyproject.toml").read_text()
    resolved = (
        text.split("<<<<<<< this repo\n")[0]
        + "line-length = 120\n"
        + text.split(">>>>>>> profile 2.0.0 (v2.0.0)\n")[1]
    )
    (repo / "pyproject.toml").write_text(resolved)
    git(repo, "add", "pyproject.toml")
    subprocess.run(["git", "commit", "-qam", "Resolved"], cwd=repo, check=True)
    assert qdev("sync", "--check", cwd=repo).code == 0


def test_a_state_from_before_sync_merges_two_ways_where_the_base_is_unknown(
    repo: Path, qdev: RunQdev
) -> None:
    state = repo / ".qdev" / "state.toml"
    text = state.read_text()
    head, files = text.split("[files]")
    legacy = "\n".join(
        line
        for line in head.split("[variables]")[0].splitlines()
        if not line.startswith(("kind =", "ci =", "ref =", "commit ="))
    )
    state.write_text(legacy + "\n\n[files]" + files)
    edit(repo / "README.md", "## Working on it", "Ours.\n\n## Working on it")
    commit_all(repo, "An old repo, edited")
    ran = qdev("sync", "--ref", "v2.0.0", cwd=repo)
    assert ran.code == 1, ran.out + ran.err  # README: both changed, no base: a conflict
    assert "two-way" in ran.out
    assert "update  .github/workflows/ci.yml" in ran.out  # unedited: the recorded hash is ours
    readme = (repo / "README.md").read_text()
    assert "Ours." in readme
    assert "<<<<<<< this repo" in readme


def test_a_repo_configured_in_pyproject_syncs_in_place_without_a_qdev_toml(
    tmp_path: Path, qdev: RunQdev, team_profile: Callable[[], Path]
) -> None:
    repo = tmp_path / "adopted"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "adopted"\nversion = "0.3.0"\nrequires-python = ">=3.11"\n\n'
        f'[tool.qdev.extends]\ngit = "{team_profile()}"\nref = "v1.0.0"\n'
    )
    assert qdev("init", ".", "--yes", "--no-env", cwd=repo).code == 0
    commit_all(repo, "Adopted")
    before = (repo / "pyproject.toml").read_text()
    ran = qdev("sync", "--ref", "v2.0.0", cwd=repo)
    assert ran.code == 0, ran.out + ran.err
    assert not (repo / "qdev.toml").exists()
    after = (repo / "pyproject.toml").read_text()
    assert after == before.replace('ref = "v1.0.0"', 'ref = "v2.0.0"').replace(
        "line-length = 100", "line-length = 110"
    ).replace('"ruff>=0.6"', '"ruff>=0.7"').replace(
        "warn_unreachable = true", "warn_unreachable = true\nwarn_unused_ignores = true"
    )
    assert qdev("sync", "--check", cwd=repo).code == 0


def test_a_new_variable_is_asked_at_a_real_terminal_prompt(repo: Path) -> None:
    """The prompt itself, on a pseudo-terminal: the question, its default, the typed answer."""
    import os
    import pty
    import select
    import sys

    leader, follower = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qdev", "sync", "--ref", "v3.0.0"],
        cwd=repo,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    seen = b""
    answered = False
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            proc.kill()
            pytest.fail(f"no prompt within 120 s; the terminal showed: {seen.decode()!r}")
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if not answered and b"Chat channel for CI news" in seen:
            os.write(leader, b"#rates-dev\n")
            answered = True
    proc.wait(timeout=60)
    os.close(leader)
    shown = seen.decode().replace("\r\n", "\n")
    assert proc.returncode == 0, shown
    assert "Chat channel for CI news [#quant-dev]" in shown
    assert "Questions go to #rates-dev." in (repo / "README.md").read_text()
    assert 'team_channel = "#rates-dev"' in (repo / ".qdev" / "state.toml").read_text()
