"""A whole run replayed without loading the config, only while nothing it depended on changed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qdev.check import replay
from qdev.check.cache import NOT_RUN_SECONDS
from qdev.check.model import CheckRun, Status, StepResult

from .check_helpers import qdev

RUN = CheckRun([StepResult("lint", Status.PASSED, "no lint problems", 0.2)], 0.2)
KEY = replay.run_key(["lint"], False)


@pytest.fixture
def root(small_repo: Path) -> Path:
    return small_repo


def _save(root: Path, inputs: list[str], run: CheckRun = RUN) -> None:
    replay.save(root, KEY, inputs, replay.fingerprint(root, inputs), run)


def test_an_unchanged_repo_replays_every_step_as_cached(root: Path) -> None:
    _save(root, [])

    again = replay.lookup(root / "src", KEY)

    assert again is not None
    assert [(r.id, r.status, r.cached) for r in again.results] == [("lint", Status.PASSED, True)]
    assert replay.lookup(root, replay.run_key(["lint", "test"], False)) is None


def test_any_tracked_file_or_qdev_variable_or_config_file_change_misses(
    root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    user_config = tmp_path / "user.toml"  # absent now: creating it must count as a change
    _save(root, [str(user_config)])

    (root / "src" / "a.py").write_text("A = 2\n")
    edited = replay.lookup(root, KEY)
    (root / "src" / "a.py").write_text("A = 1\n")
    monkeypatch.setenv("QDEV_CHECK__COVERAGE", "95")
    variable = replay.lookup(root, KEY)
    monkeypatch.delenv("QDEV_CHECK__COVERAGE")
    user_config.write_text("jobs = 1\n")
    created = replay.lookup(root, KEY)
    user_config.unlink()

    assert (edited, variable, created) == (None, None, None)
    assert replay.lookup(root, KEY) is not None


def test_a_not_run_step_is_replayed_only_briefly(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _save(root, [], CheckRun([StepResult("audit", Status.NOT_RUN, "offline")], 4.0))
    later = time.time() + NOT_RUN_SECONDS + 1

    soon = replay.lookup(root, KEY)
    monkeypatch.setattr(time, "time", lambda: later)

    assert soon is not None
    assert soon.results[0].status is Status.NOT_RUN
    assert replay.lookup(root, KEY) is None


def test_a_run_stopped_early_is_not_stored(root: Path) -> None:
    _save(root, [], CheckRun([StepResult("lint", Status.SKIPPED, "--fail-fast")], 0.0))

    assert replay.lookup(root, KEY) is None


@pytest.mark.e2e
def test_a_qdev_variable_reconfigures_a_replayed_check(repo: Path) -> None:
    with (repo / "src/quantlib/core.py").open("a") as handle:
        handle.write("\n\ndef untested(x: int) -> int:\n    return x * 2\n")
    with (repo / "qdev.toml").open("a") as handle:
        handle.write("\n[check]\ncoverage = 50\n")

    first = qdev(repo, "check", "test")
    second = qdev(repo, "check", "test")
    stricter = qdev(repo, "check", "test", env={"QDEV_CHECK__COVERAGE": "99"})

    assert (first.code, second.code) == (0, 0)
    assert "passed (cached)" in second.stdout
    assert stricter.code == 1
    assert "under the required 99" in stricter.stdout


@pytest.mark.parametrize(
    "change",
    ["add", "remove", "upgrade", "editable"],
)
def test_a_package_installed_or_removed_outside_the_lock_misses(root: Path, change: str) -> None:
    site = root / ".venv/lib/python3.11/site-packages"
    (site / "six-1.16.0.dist-info").mkdir(parents=True)
    (site / "_quantlib.pth").write_text("/repo/src\n")
    _save(root, [])

    if change == "add":
        (site / "numpy-2.1.0.dist-info").mkdir()
    elif change == "remove":
        (site / "six-1.16.0.dist-info").rmdir()
    elif change == "upgrade":
        (site / "six-1.16.0.dist-info").rename(site / "six-1.17.0.dist-info")
    else:
        (site / "_quantlib.pth").write_text("/elsewhere/src\n")

    assert replay.lookup(root, KEY) is None


def test_what_the_tools_read_from_outside_the_repo_misses(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _save(root, [])

    monkeypatch.setenv("PYTEST_ADDOPTS", "-k nothing")
    variable = replay.lookup(root, KEY)
    monkeypatch.delenv("PYTEST_ADDOPTS")
    (root.parent / "ruff.toml").write_text("line-length = 60\n")  # ruff looks up the folders
    above = replay.lookup(root, KEY)

    assert (variable, above) == (None, None)
