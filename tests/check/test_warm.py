"""The warm path: a stored report printed again from stat data alone, only while the snapshot
of everything the run depended on still holds, and exactly as the content path prints it."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qdev.__main__ import main
from qdev.check import replay, warm
from qdev.check.model import CheckRun, Status, StepResult
from qdev.check.reporters import replay_streams
from qdev.config.models import STEP_NAME
from qdev.tools import git as git_tools
from qdev.tools import git_quick, process

from .check_helpers import git

RUN = CheckRun([StepResult("lint", Status.FAILED, "1 problem", 0.2, output="a.py:1: E1")], 0.2)
KEY = replay.run_key(["lint"], False)


@pytest.fixture
def root(small_repo: Path) -> Path:
    site = small_repo / ".venv/lib/python3.11/site-packages"
    (site / "six-1.16.0.dist-info").mkdir(parents=True)
    (site / "_x.pth").write_text("/repo/src\n")
    return small_repo


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Snapshots taken as if 3 s later: the files just written are no longer racily clean."""
    real = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real() + 3_000_000_000)


def _save(root: Path, inputs: list[str] | None = None, fmt: str = "text") -> None:
    inputs = inputs or []
    replay.save(root, KEY, inputs, replay.fingerprint(root, inputs), RUN, shown=fmt)


def _warm(root: Path, fmt: str = "text") -> tuple[str, str, int] | None:
    return warm.stored_output(str(root / "src"), ["lint"], False, fmt)


@pytest.mark.usefixtures("settled")
def test_an_unchanged_repo_is_answered_as_the_content_path_answers(root: Path) -> None:
    _save(root)

    answered = _warm(root)
    by_content = replay.lookup(root, KEY)

    assert by_content is not None
    assert answered == (*replay_streams(by_content, "text"), 1)
    assert "lint  FAILED (cached)" in answered[0]


@pytest.mark.usefixtures("settled")
def test_each_format_is_stored_once_the_content_path_has_printed_it(root: Path) -> None:
    _save(root)

    before = _warm(root, "json")
    replay.lookup(root, KEY, shown="json")
    after = _warm(root, "json")

    assert before is None
    assert after is not None
    assert '"status": "failed"' in after[0]
    assert _warm(root, "text") is not None  # the text report is kept beside it


def _touch_same_size(path: Path) -> None:
    """New content of the same size, the old mtime put back: only the ctime tells."""
    before = path.stat()
    path.write_text(path.read_text().replace("1", "2"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


CHANGES: dict[str, Callable[[Path], object]] = {
    "tracked file edited, mtime put back": lambda r: _touch_same_size(r / "src/a.py"),
    "new untracked file": lambda r: (r / "src/b.py").write_text("B = 1\n"),
    "file taken out of the index": lambda r: git(r, "rm", "-q", "--cached", "src/a.py"),
    "package installed": lambda r: (
        r / ".venv/lib/python3.11/site-packages/numpy-2.1.0.dist-info"
    ).mkdir(),
    "editable install moved": lambda r: (
        r / ".venv/lib/python3.11/site-packages/_x.pth"
    ).write_text("/elsewhere/src\n"),
    "ruff config above the repo": lambda r: (r.parent / "ruff.toml").write_text("x = 1\n"),
}


@pytest.mark.usefixtures("settled")
@pytest.mark.parametrize("change", CHANGES)
def test_a_change_to_anything_the_run_depended_on_is_not_answered(root: Path, change: str) -> None:
    _save(root)
    assert _warm(root) is not None

    CHANGES[change](root)

    assert _warm(root) is None
    assert replay.lookup(root, KEY) is None  # the content path agrees: it was a real change


@pytest.mark.usefixtures("settled")
def test_a_variable_or_a_config_file_appearing_is_not_answered(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_config = tmp_path / "user.toml"
    _save(root, [str(user_config)])

    monkeypatch.setenv("QDEV_CHECK__COVERAGE", "95")
    variable = _warm(root)
    monkeypatch.delenv("QDEV_CHECK__COVERAGE")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-x")
    tool_variable = _warm(root)
    monkeypatch.delenv("PYTEST_ADDOPTS")
    user_config.write_text("jobs = 1\n")
    created = _warm(root)

    assert (variable, tool_variable, created) == (None, None, None)


@pytest.mark.usefixtures("settled")
def test_what_tools_write_while_running_is_not_a_change(root: Path) -> None:
    _save(root)

    (root / "src/__pycache__").mkdir()
    (root / "src/__pycache__/a.cpython-311.pyc").write_bytes(b"\0")
    (root / ".coverage").write_bytes(b"\0")

    assert _warm(root) is not None


def test_a_snapshot_of_files_changed_moments_before_is_not_trusted_until_refreshed(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _save(root)  # the files were written just now: a change in the same tick would not show

    fresh = _warm(root)
    real = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real() + 3_000_000_000)
    replay.lookup(root, KEY, shown="text")  # a later check by content refreshes it

    assert fresh is None
    assert _warm(root) is not None


@pytest.mark.usefixtures("settled")
def test_a_copy_of_the_repo_is_not_answered_from_the_original_s_snapshot(
    root: Path, tmp_path: Path
) -> None:
    _save(root)
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, symlinks=True)

    assert _warm(copy) is None


@pytest.mark.usefixtures("settled")
def test_a_repo_with_submodules_is_left_to_the_content_path(root: Path) -> None:
    (root / ".gitmodules").write_text("")
    _save(root)

    assert _warm(root) is None
    assert replay.lookup(root, KEY) is not None


@pytest.mark.usefixtures("settled")
def test_the_entry_point_prints_the_stored_report_and_its_exit_code(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _save(root)
    for entry in (root / ".qdev/cache/check").glob("run@*.json"):
        entry.unlink()  # what the content path would need: the warm path answers alone
    monkeypatch.chdir(root / "src")

    code = main(["check", "lint"])

    printed = capsys.readouterr()
    assert code == 1
    assert "lint  FAILED (cached)" in printed.out
    assert "a.py:1: E1" in printed.out


def test_git_s_listings_read_directly_match_git_py_s(root: Path) -> None:
    for name in ("with space.py", "tab\there.py", "ünïcode.py", "new dir/x.py"):
        (root / "src" / name).parent.mkdir(exist_ok=True)
        (root / "src" / name).write_text("")
    git(root, "add", "src/with space.py", "src/ünïcode.py")

    running = git_quick.listings(str(root))
    assert running is not None
    staged, untracked = running.wait() or ({}, [])

    assert staged == git_tools.ls_staged(root)
    assert untracked == git_tools.ls_untracked(root)
    assert "src/tab\there.py" in untracked


def test_git_failing_is_no_answer(tmp_path: Path) -> None:
    running = git_quick.listings(str(tmp_path))  # not a repository

    assert running is not None
    assert running.wait() is None


@given(st.from_regex(STEP_NAME, fullmatch=True))
def test_every_step_name_the_config_allows_is_a_step_word(name: str) -> None:
    assert warm.is_step_word(name)


@given(st.text(max_size=12))
def test_no_path_or_option_is_a_step_word(word: str) -> None:
    if any(char in word for char in "/.\\ ") or word.startswith("-") or not word:
        assert not warm.is_step_word(word)


def test_tools_output_is_never_an_input() -> None:
    paths = ["a/x.egg-info/PKG-INFO", ".egg-info/keep.txt", "x.coverage", ".coverage.1", "b.pyd"]

    assert warm.untracked_inputs(paths) == [".egg-info/keep.txt", "x.coverage"]


def test_the_warm_path_imports_nothing_heavy(root: Path) -> None:
    """Its budget is a few milliseconds over the interpreter's start: json, re, pathlib,
    subprocess, dataclasses and typing would each take a large share of it."""
    _save(root)
    code = (
        "import sys; before = set(sys.modules); from qdev.check import warm; "
        "warm.answer(['lint']); print(sorted(set(sys.modules) - before))"
    )
    # Unmeasured: coverage started in the child (pytest-cov's variables) imports json itself.
    measuring = [name for name in os.environ if name.startswith(("COV_CORE_", "COVERAGE_"))]
    ran = process.run([sys.executable, "-c", code], cwd=root, env=process.child_env(drop=measuring))
    assert ran.ok, ran.output
    loaded = ran.stdout
    assert "'qdev.tools.git_quick'" in loaded  # it went as far as asking git

    for heavy in ("'json'", "'re'", "'pathlib'", "'subprocess'", "'dataclasses'", "'typing'"):
        assert heavy not in loaded


@pytest.mark.usefixtures("settled")
def test_a_newer_run_not_stored_for_the_warm_path_takes_the_older_report_away(root: Path) -> None:
    _save(root)
    newer = CheckRun([StepResult("lint", Status.PASSED, "no lint problems", 0.1)], 0.1)

    replay.save(root, KEY, [], replay.fingerprint(root, []), newer)  # e.g. `qdev check -v`

    assert _warm(root) is None
    by_content = replay.lookup(root, KEY)
    assert by_content is not None
    assert by_content.ok


@pytest.mark.usefixtures("settled")
def test_the_user_s_colour_is_honoured_as_by_the_full_cli(root: Path, tmp_path: Path) -> None:
    _save(root)  # stored as printed without colour
    (tmp_path / "home/qdev").mkdir(parents=True)
    (tmp_path / "home/qdev/config.toml").write_text("color = true\n")
    home = {"XDG_CONFIG_HOME": str(tmp_path / "home")}
    env = process.child_env(home, drop=("NO_COLOR", "FORCE_COLOR"))

    ran = process.run([sys.executable, "-m", "qdev", "check", "lint"], cwd=root, env=env)

    assert ran.returncode == 1, ran.output
    assert "\033[1;31mFAILED (cached)" in ran.stdout
