"""Fault suite, group "the push": local and remote never split. Once a push has started, qdev
awaits or ends it and asks the remote; what the remote may hold is never rolled back, and
--continue finishes."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from qdev.release.journal import pending_warning
from qdev.tools.process import group_alive

from .faults import Child, Gate, gate_hook, start_cli, wait_for
from .release_helpers import ReleaseRepo, crash, git, release_at_fault, run_cli, snapshot

pytestmark = pytest.mark.e2e


def assert_consistent_release(repo: ReleaseRepo) -> None:
    """Local and remote agree: both hold the release commit and the tag."""
    head = git(repo.root, "rev-parse", "HEAD")
    assert git(repo.root, "rev-parse", "v0.2.0^{commit}") == head
    assert git(repo.remote, "rev-parse", "v0.2.0^{commit}") == head
    assert git(repo.remote, "rev-parse", "main") == head


def stopped_while_pushing(repo: ReleaseRepo, gate: Gate, *signals: signal.Signals) -> Child:
    """A release whose push waits at the remote's hook, sent `signals` one after the other,
    each once qdev has shown it took the one before."""
    child = start_cli(repo.root, "release", "--skip-checks")
    wait_for(lambda: gate.started, "the push to reach the hook")
    for number, sig in enumerate(signals):
        child.signal(sig)
        if number == 0 and sig != signal.SIGKILL:
            wait_for(lambda: "waiting for the push" in child.stderr, "qdev to await the push")
    return child


def continue_finishes(repo: ReleaseRepo) -> None:
    finished = run_cli(repo.root, "release", "--continue")
    assert finished.returncode == 0, finished.stderr
    assert_consistent_release(repo)
    assert pending_warning(repo.root) is None
    assert (repo.root / "dist" / "demo_pkg-0.2.0-py3-none-any.whl").is_file()
    assert git(repo.root, "status", "--porcelain") == ""


@pytest.mark.parametrize(("fault", "code"), [("push:term-after", 130), ("push:fail-after", 1)])
def test_a_failure_right_after_the_push_keeps_what_the_remote_holds(
    release_repo: ReleaseRepo, fault: str, code: int
) -> None:
    stopped = release_at_fault(release_repo.root, fault)
    assert stopped.returncode == code, stopped.stderr
    assert "v0.2.0 is on origin" in stopped.stderr
    assert "qdev release --continue" in stopped.stderr
    assert "rolled back" not in stopped.stderr
    assert_consistent_release(release_repo)
    assert pending_warning(release_repo.root) is not None
    continue_finishes(release_repo)


def test_sigterm_while_a_slow_hook_accepts_the_push_awaits_it(
    release_repo: ReleaseRepo, tmp_path: Path
) -> None:
    gate = gate_hook(release_repo.remote, tmp_path / "gate")
    child = stopped_while_pushing(release_repo, gate, signal.SIGTERM)
    gate.open()
    code, _, err = child.finish()
    assert code == 130, err
    assert "v0.2.0 is on origin" in err
    assert_consistent_release(release_repo)
    continue_finishes(release_repo)


def test_sigterm_while_a_slow_hook_rejects_the_push_rolls_back(
    release_repo: ReleaseRepo, tmp_path: Path
) -> None:
    before, remote = snapshot(release_repo.root), release_repo.remote_refs()
    gate = gate_hook(release_repo.remote, tmp_path / "gate", exit_code=1)
    child = stopped_while_pushing(release_repo, gate, signal.SIGTERM)
    gate.open()
    code, _, err = child.finish()
    assert code == 130, err
    assert "rolled back" in err
    assert snapshot(release_repo.root) == before
    assert release_repo.remote_refs() == remote


def test_a_second_sigterm_ends_the_push_and_nothing_is_rolled_back(
    release_repo: ReleaseRepo, tmp_path: Path
) -> None:
    remote = release_repo.remote_refs()
    gate = gate_hook(release_repo.remote, tmp_path / "gate")
    child = stopped_while_pushing(release_repo, gate, signal.SIGTERM, signal.SIGTERM)
    code, _, err = child.finish()
    assert code == 130, err
    assert "nothing was rolled back" in err
    assert "--continue" in err
    assert "--abort" in err
    assert git(release_repo.root, "rev-parse", "v0.2.0^{commit}") == git(
        release_repo.root, "rev-parse", "HEAD"
    )
    assert release_repo.remote_refs() == remote
    # --abort asks the remote, which holds nothing, so it undoes the local release.
    aborted = run_cli(release_repo.root, "release", "--abort")
    assert aborted.returncode == 0, aborted.stderr
    assert "undone" in aborted.stdout
    assert git(release_repo.root, "tag", "-l", "v0.2.0") == ""
    assert release_repo.remote_refs() == remote


def test_a_push_left_running_by_a_killed_release_is_awaited_then_finished(
    release_repo: ReleaseRepo, tmp_path: Path
) -> None:
    gate = gate_hook(release_repo.remote, tmp_path / "gate")
    stopped_while_pushing(release_repo, gate, signal.SIGKILL).finish()
    journal = json.loads((release_repo.root / ".git" / "qdev-release.json").read_text())
    pgid = journal["push_pgid"]
    assert group_alive(pgid)
    for action in ("--abort", "--continue"):
        refused = run_cli(release_repo.root, "release", action)
        assert refused.returncode == 4, refused.stderr
        assert "still running" in refused.stderr
    gate.open()
    wait_for(lambda: not group_alive(pgid), "the orphaned push to end")
    aborted = run_cli(release_repo.root, "release", "--abort")
    assert aborted.returncode == 0, aborted.stderr
    assert "nothing was undone" in aborted.stdout
    assert_consistent_release(release_repo)


def test_abort_after_a_push_that_went_through_names_the_steps_truly(
    release_repo: ReleaseRepo,
) -> None:
    crash(release_repo, "push:kill-after")
    aborted = run_cli(release_repo.root, "release", "--abort")
    assert aborted.returncode == 0, aborted.stderr
    assert "pushed already" in aborted.stdout
    assert "(steps not done: nothing)" in aborted.stdout
    assert_consistent_release(release_repo)


def test_abort_with_the_remote_out_of_reach_undoes_nothing(release_repo: ReleaseRepo) -> None:
    crash(release_repo, "push:kill-after")
    away = release_repo.remote.with_name("away.git")
    release_repo.remote.rename(away)
    refused = run_cli(release_repo.root, "release", "--abort")
    assert refused.returncode == 4, refused.stderr
    assert "cannot reach origin" in refused.stderr
    assert git(release_repo.root, "tag", "-l", "v0.2.0") == "v0.2.0"
    away.rename(release_repo.remote)
    continue_finishes(release_repo)
