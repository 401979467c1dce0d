"""`qdev fleet sync --branch NAME --push` on the acceptance fleet: every clean repo on the latest
profile in a branch of its remote, conflicts and broken repos reported and never pushed, a
second run changing nothing, and a run killed mid-way finished without duplicates."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import RunQdev

from . import world as w

pytestmark = pytest.mark.e2e

BRANCH = "qdev/profile-v3"


def outcomes(ran_out: str) -> dict[str, dict[str, Any]]:
    return {o["name"]: o for o in json.loads(ran_out)["repos"]}


def remote_of(fleet: Path, name: str) -> Path:
    return fleet / "remotes" / f"{name}.git"


def remote_refs(fleet: Path) -> dict[str, str]:
    found = {}
    for bare in sorted((fleet / "remotes").glob("*.git")):
        found[bare.name] = w.git(bare, "for-each-ref", "--format=%(refname) %(objectname)")
    return found


def assert_on_latest_profile(fleet: Path, name: str) -> None:
    bare = remote_of(fleet, name)
    state = tomllib.loads(w.git(bare, "show", f"{BRANCH}:.qdev/state.toml"))
    assert (state["version"], state["ref"]) == ("3.0.0", "v3.0.0"), name
    config = tomllib.loads(w.git(bare, "show", f"{BRANCH}:qdev.toml"))
    assert config["extends"]["ref"] == "v3.0.0", name
    assert w.git(bare, "rev-list", "--count", f"main..{BRANCH}").strip() == "1", name
    message = w.git(bare, "log", "-1", "--format=%B", BRANCH)
    assert message.startswith("chore(profile): sync with profile team v3.0.0\n"), message
    assert f"Qdev-Fleet-Branch: {BRANCH}" in message


def test_sync_push_brings_every_clean_repo_to_the_latest_profile_and_a_rerun_changes_nothing(
    fleet: Path, qdev: RunQdev
) -> None:
    ran = qdev("fleet", "sync", "--branch", BRANCH, "--push", "--json")

    assert ran.code == 1, ran.err  # a conflict, a broken config and an unreachable repo
    done = outcomes(ran.out)
    assert len(done) == w.COUNT
    assert done[w.CONFLICT]["action"] == "conflict"
    assert done[w.CONFLICT]["files"] == ["pyproject.toml"]
    assert "tool.ruff.line-length" in done[w.CONFLICT]["detail"]
    assert done[w.BROKEN]["action"] == "failed"
    assert "check.coverage" in done[w.BROKEN]["detail"]
    assert f"{fleet / 'repos' / w.BROKEN / 'qdev.toml'}:" in done[w.BROKEN]["detail"]
    assert done[w.UNREACHABLE]["action"] == "failed"
    assert "does not exist" in done[w.UNREACHABLE]["detail"]
    for name in (w.CONFLICT, w.BROKEN):
        assert BRANCH not in w.git(remote_of(fleet, name), "branch", "--list", BRANCH)
    clean = [n for n in w.names() if n not in (w.CONFLICT, w.BROKEN, w.UNREACHABLE)]
    for name in clean:
        if w.ref_of(name) == "v3.0.0":
            assert done[name]["action"] == "up to date", name
            assert not w.git(remote_of(fleet, name), "branch", "--list", BRANCH)
        else:
            assert (done[name]["action"], done[name]["pushed"]) == ("created", True), name
            assert_on_latest_profile(fleet, name)
    assert "noxfile.py" not in done[w.EDITED]["files"]  # the profile did not change it
    nox = w.git(remote_of(fleet, w.EDITED), "show", f"{BRANCH}:noxfile.py")
    assert "# our own session tweak" in nox
    for name in clean:
        if name != w.BY_URL:
            repo = fleet / "repos" / name
            assert w.git(repo, "status", "--porcelain") == "", "the checkout is untouched"
            assert w.git(repo, "branch", "--show-current").strip() == "main"
            assert len(w.git(repo, "worktree", "list").splitlines()) == 1

    before = remote_refs(fleet)
    again = qdev("fleet", "sync", "--branch", BRANCH, "--push", "--json")

    assert again.code == 1
    assert remote_refs(fleet) == before
    redone = outcomes(again.out)
    assert {redone[n]["action"] for n in clean} <= {"unchanged", "up to date"}
    assert redone[w.CONFLICT]["action"] == "conflict"

    table = qdev("fleet", "sync", "--branch", BRANCH, "--push", "-g", "rates")
    assert "created by an earlier run" in table.out
    assert "conflict" in table.out


def test_a_moved_base_rebuilds_the_branch_and_a_foreign_branch_is_left_alone(
    fleet: Path, qdev: RunQdev
) -> None:
    first = qdev("fleet", "sync", "--branch", BRANCH, "--push", "-r", "r00", "-r", "r01")
    assert first.code == 0, first.out + first.err
    repo = fleet / "repos" / "r00"
    (repo / "NEWS.md").write_text("news\n")
    w.commit(repo, "feat: news")
    w.git(repo, "push", "-q", "origin", "main")
    other = fleet / "repos" / "r01"
    w.git(other, "checkout", "-q", BRANCH)
    (other / "MINE.md").write_text("a person's work\n")
    w.commit(other, "wip: my own change on the campaign branch")
    w.git(other, "checkout", "-q", "main")

    ran = qdev("fleet", "sync", "--branch", BRANCH, "--push", "-r", "r00", "-r", "r01", "--json")

    done = outcomes(ran.out)
    assert done["r00"]["action"] == "updated"
    bare = remote_of(fleet, "r00")
    assert (
        w.git(bare, "rev-parse", f"{BRANCH}^").strip() == w.git(bare, "rev-parse", "main").strip()
    )
    assert w.git(bare, "rev-list", "--count", f"main..{BRANCH}").strip() == "1"
    assert done["r01"]["action"] == "skipped"
    assert "did not make" in done["r01"]["detail"]
    assert "MINE.md" in w.git(other, "show", "--stat", BRANCH)


def test_dry_run_says_what_would_change_and_writes_nothing(fleet: Path, qdev: RunQdev) -> None:
    before = remote_refs(fleet)
    local = w.git(fleet / "repos" / "r00", "for-each-ref")

    ran = qdev("fleet", "sync", "--branch", BRANCH, "--dry-run", "-g", "rates", "--json")

    done = outcomes(ran.out)
    assert done["r00"]["action"] == "would create"
    assert "pyproject.toml" in done["r00"]["files"]
    assert remote_refs(fleet) == before
    assert w.git(fleet / "repos" / "r00", "for-each-ref") == local


@pytest.mark.parametrize(
    "kill",
    [{"_QDEV_FLEET_KILL_AFTER": "3"}, {"_QDEV_SYNC_KILL_AT": "2"}],
    ids=["after-3", "mid-sync"],
)
def test_a_campaign_killed_mid_way_finishes_on_the_next_run_without_duplicates(
    fleet: Path, qdev: RunQdev, kill: dict[str, str]
) -> None:
    chosen = ["-g", "rates", "--where", f"name!={w.CONFLICT}", "--where", "version<3"]
    argv = [sys.executable, "-m", "qdev", "fleet", "sync", "--branch", BRANCH, "--push", "-j", "2"]
    killed = subprocess.run(
        [*argv, *chosen], cwd=fleet, env={**os.environ, **kill}, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr

    ran = qdev("fleet", "sync", "--branch", BRANCH, "--push", "-j", "2", *chosen, "--json")

    assert ran.code == 0, ran.out + ran.err
    done = outcomes(ran.out)
    assert len(done) >= 8
    if "_QDEV_FLEET_KILL_AFTER" in kill:
        assert sum(o["earlier"] for o in done.values()) >= 3
    for name, outcome in done.items():
        assert outcome["action"] in ("created", "unchanged", "pushed"), outcome
        assert_on_latest_profile(fleet, name)
        bare = remote_of(fleet, name)
        heads = w.git(bare, "for-each-ref", "--format=%(refname)", "refs/heads").split()
        assert heads == ["refs/heads/main", f"refs/heads/{BRANCH}"]
        if name != w.BY_URL:
            repo = fleet / "repos" / name
            assert len(w.git(repo, "worktree", "list").splitlines()) == 1
            local = w.git(repo, "rev-parse", BRANCH).strip()
            assert local == w.git(bare, "rev-parse", BRANCH).strip()
            assert not list((repo / ".git").rglob("*.lock"))
