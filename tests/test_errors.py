"""The error model: one hierarchy, one exit code per kind, one message, tracebacks only for bugs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qdev.error_handler import (
    DOCTOR_HINT,
    crash_dir,
    error_boundary,
    handle_exception,
    save_traceback,
)
from qdev.errors import (
    ChecksFailed,
    ConfigError,
    ExitCode,
    GuardRefused,
    Interrupted,
    QdevError,
    ToolFailed,
    ToolMissing,
    UsageError,
)

QDEV = [sys.executable, "-m", "qdev"]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ChecksFailed("2 steps failed"), 1),
        (ToolFailed("ruff crashed"), 1),
        (UsageError("bad flag"), 2),
        (ConfigError(["qdev.toml:1:1: x: bad"]), 2),
        (ToolMissing("git is not installed"), 3),
        (GuardRefused("the tree is dirty"), 4),
        (Interrupted("interrupted"), 130),
        (QdevError("anything the user can fix"), 2),
    ],
)
def test_each_error_kind_has_its_documented_exit_code(
    error: QdevError, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert handle_exception(error) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code == 130:
        assert err == "qdev: interrupted\n"
    elif code == 3:  # a missing tool or environment: qdev doctor looks at all of them
        assert err == f"qdev: error: {error.message}\n{DOCTOR_HINT}\n"
    else:
        assert err == f"qdev: error: {error.message}\n"


def test_a_fix_is_printed_on_its_own_line(capsys: pytest.CaptureFixture[str]) -> None:
    handle_exception(UsageError("bad flag", fix="drop it"))
    assert capsys.readouterr().err == "qdev: error: bad flag\n  fix: drop it\n"


def test_a_missing_tool_hints_at_qdev_doctor(capsys: pytest.CaptureFixture[str]) -> None:
    handle_exception(ToolMissing("git is not installed", fix="apt-get install git"))
    assert capsys.readouterr().err == (
        "qdev: error: git is not installed\n  fix: apt-get install git\n"
        "  hint: `qdev doctor` checks the tools, Pythons and environment qdev needs\n"
    )


def test_every_problem_of_a_config_error_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    error = ConfigError(["qdev.toml:1:1: a: bad", "qdev.toml:2:1: b: bad"], fix="see the schema")
    assert error.problems == ["qdev.toml:1:1: a: bad", "qdev.toml:2:1: b: bad"]
    assert handle_exception(error) == 2
    assert capsys.readouterr().err.splitlines() == [
        "qdev: error: 2 problems in the configuration:",
        "  qdev.toml:1:1: a: bad",
        "  qdev.toml:2:1: b: bad",
        "  fix: see the schema",
    ]


def test_a_single_config_problem_stays_on_the_error_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handle_exception(ConfigError(['qdev.toml:3:1: check.jobs: expected an integer, got "x"']))
    assert capsys.readouterr().err == (
        'qdev: error: qdev.toml:3:1: check.jobs: expected an integer, got "x"\n'
    )


def test_ctrl_c_is_130_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert handle_exception(KeyboardInterrupt()) == int(ExitCode.INTERRUPTED) == 130
    assert capsys.readouterr().err == "qdev: interrupted\n"


def test_a_closed_pipe_is_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    assert handle_exception(BrokenPipeError()) == int(ExitCode.BROKEN_PIPE) == 141
    assert capsys.readouterr().err == ""


def test_a_bug_is_one_line_naming_a_saved_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    empty: dict[str, int] = {}
    with pytest.raises(KeyError) as caught:
        empty["missing"]  # the bug under test
    assert handle_exception(caught.value) == int(ExitCode.INTERNAL_ERROR) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("qdev: internal error, this is a bug in qdev: KeyError: 'missing'")
    assert "run again with -v" in err
    saved = Path(err.split("the traceback is in ")[1].split(" (run again")[0])
    assert saved.parent == crash_dir()
    assert str(crash_dir()).startswith(os.environ["XDG_STATE_HOME"])
    text = saved.read_text()
    assert "Traceback (most recent call last)" in text
    assert "KeyError: 'missing'" in text
    assert text.startswith("qdev 0.1.0 on Python")


def test_verbose_prints_the_traceback_of_a_bug(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError) as caught:
        raise RuntimeError("first line\nsecond line")
    assert handle_exception(caught.value, verbose=True) == 70
    err = capsys.readouterr().err
    first, *rest = err.splitlines()
    assert first.startswith(
        "qdev: internal error, this is a bug in qdev: RuntimeError: first line;"
    )
    assert "run again with -v" not in first
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "second line"


def test_a_bug_is_still_reported_when_its_traceback_cannot_be_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state folder should be")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    assert handle_exception(ValueError()) == 70
    err = capsys.readouterr().err
    assert "bug in qdev: ValueError; the traceback could not be saved" in err


def test_save_traceback_files_never_collide() -> None:
    first, second = ValueError("a"), ValueError("b")
    assert save_traceback(first) != save_traceback(second)


def test_error_boundary_turns_exceptions_into_codes_and_lets_exit_through(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def fail(error: BaseException) -> None:
        raise error

    with error_boundary(lambda: False) as code:
        fail(GuardRefused("tag v1.0.0 exists"))
    assert code == [4]
    with error_boundary(lambda: False) as code:
        pass
    assert code == [0]
    with pytest.raises(SystemExit), error_boundary(lambda: False):
        fail(SystemExit(5))
    assert "tag v1.0.0 exists" in capsys.readouterr().err


def run_qdev(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*QDEV, *args], capture_output=True, text=True, env={**os.environ, **env}, check=False
    )


def test_a_bug_in_the_real_cli_exits_70_and_saves_the_traceback() -> None:
    done = run_qdev("config", "schema", _QDEV_INJECT_CRASH="1")
    assert done.returncode == 70
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "RuntimeError: crash injected by _QDEV_INJECT_CRASH" in done.stderr
    saved = Path(done.stderr.split("the traceback is in ")[1].split(" (run again")[0])
    assert "Traceback (most recent call last)" in saved.read_text()


def test_verbose_real_cli_prints_the_traceback() -> None:
    done = run_qdev("-v", "config", "schema", _QDEV_INJECT_CRASH="1")
    assert done.returncode == 70
    assert "Traceback (most recent call last)" in done.stderr
    assert done.stderr.rstrip().endswith("RuntimeError: crash injected by _QDEV_INJECT_CRASH")


# --- credentials never reach a message or a crash log ----------------------------------------

SECRET = "https://alice:s3cret@pypi.internal/simple"
MASKED = "https://***@pypi.internal/simple"


@pytest.mark.parametrize(
    "error",
    [
        UsageError(f"cannot reach {SECRET}", fix=f"check {SECRET}"),
        ConfigError([f"qdev.toml:1:1: env.indexes.a: bad {SECRET}", f"and {SECRET}"]),
        ToolFailed(f"uv publish --index {SECRET} exited with 1"),
    ],
)
def test_every_error_message_masks_credentials(
    error: QdevError, capsys: pytest.CaptureFixture[str]
) -> None:
    handle_exception(error)
    err = capsys.readouterr().err
    assert "s3cret" not in err
    assert "alice" not in err
    assert MASKED in err


def test_a_bug_masks_credentials_in_its_line_its_traceback_and_its_crash_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["qdev", "release", "--index", SECRET])
    with pytest.raises(RuntimeError) as caught:
        raise RuntimeError(f"upload to {SECRET} broke")

    assert handle_exception(caught.value, verbose=True) == 70

    err = capsys.readouterr().err
    saved = Path(err.split("the traceback is in ")[1].split(";")[0].split("\n")[0])
    log = saved.read_text()
    for text in (err, log):
        assert "s3cret" not in text
        assert MASKED in text
    assert "argv: ['qdev', 'release', '--index', 'https://***@pypi.internal/simple']" in log


def test_a_crash_log_is_saved_even_when_the_current_folder_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()

    saved = save_traceback(ValueError("x"))

    assert "cwd: (unknown: " in saved.read_text()
