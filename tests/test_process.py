"""tools/process.py: argument lists, environment, output, timeouts, ending whole process trees."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.errors import ExitCode, Interrupted, ToolMissing, UsageError
from qdev.tools import process
from qdev.tools.process import (
    ChildGroup,
    ProcessTimeout,
    child_env,
    find_uv,
    group_alive,
    kill_group,
    run,
    which,
)

PY = sys.executable
SRC = str(Path(__file__).resolve().parents[1] / "src")

# A child that starts a grandchild, writes both pids to argv[1], then sleeps; both inherit stdout.
FAMILY = textwrap.dedent(
    """
    import os, subprocess, sys, time
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with open(sys.argv[1] + ".tmp", "w") as handle:
        handle.write(f"{os.getpid()} {grandchild.pid}")
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    print("started", flush=True)
    time.sleep(60)
    """
)


def alive(pid: int) -> bool:
    """True while `pid` runs; a zombie waiting for its (container) init to reap it is dead."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_for_pids(pidfile: Path, timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while not pidfile.exists():
        assert time.monotonic() < deadline, "the child never wrote its pids"
        time.sleep(0.02)
    return [int(pid) for pid in pidfile.read_text().split()]


def assert_all_gone(pids: list[int], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if alive(pid)], "a process of the tree survived"


def test_run_captures_output_exit_code_and_time() -> None:
    result = run([PY, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"])
    assert (result.returncode, result.ok) == (3, False)
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"
    assert result.output == "out\n\nerr\n"
    assert result.argv[0] == PY
    assert result.seconds > 0


def test_run_feeds_input_and_stringifies_arguments(tmp_path: Path) -> None:
    result = run(
        [PY, "-c", "import sys; print(sys.stdin.read().upper(), sys.argv[1])", tmp_path],
        input_text="hello",
    )
    assert result.ok
    assert result.stdout.strip() == f"HELLO {tmp_path}"


def test_run_decodes_output_as_utf8_and_never_fails_on_bad_bytes() -> None:
    code = "import sys; sys.stdout.buffer.write('é'.encode() + b'\\xff')"
    assert run([PY, "-c", code]).stdout == "é\ufffd"


def test_a_shell_string_or_an_empty_list_is_refused() -> None:
    with pytest.raises(TypeError, match="never a shell string"):
        run("echo hi")
    with pytest.raises(ValueError, match="empty argument list"):
        run([])


def test_child_env_adds_and_drops_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDEV_TEST_KEEP", "kept")
    monkeypatch.setenv("QDEV_TEST_DROP", "dropped")
    env = child_env({"QDEV_TEST_EXTRA": "extra"}, drop=["QDEV_TEST_DROP"])
    code = "import os; print(os.environ.get('QDEV_TEST_KEEP'), os.environ.get('QDEV_TEST_DROP'),"
    code += " os.environ.get('QDEV_TEST_EXTRA'))"
    assert run([PY, "-c", code], env=env).stdout.split() == ["kept", "None", "extra"]


def test_env_replaces_the_whole_environment() -> None:
    result = run([PY, "-c", "import os; print(sorted(os.environ))"], env={"ONLY": "1"})
    assert "'ONLY'" in result.stdout
    assert "'HOME'" not in result.stdout


def test_cwd_is_used_and_a_missing_one_is_a_usage_error(tmp_path: Path) -> None:
    assert run([PY, "-c", "import os; print(os.getcwd())"], cwd=tmp_path).stdout.strip() == str(
        tmp_path.resolve()
    )
    with pytest.raises(UsageError, match="no such folder") as caught:
        run([PY, "-c", "pass"], cwd=tmp_path / "absent")
    assert caught.value.exit_code == ExitCode.USAGE


def test_a_missing_tool_is_exit_3_naming_it_and_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing) as caught:
        which("ruff", path=str(tmp_path))
    assert caught.value.exit_code == 3
    assert "ruff is not installed" in caught.value.message
    assert caught.value.fix is not None
    assert "qdev env" in caught.value.fix
    with pytest.raises(ToolMissing, match="qdev-no-such-tool-xyz"):
        run(["qdev-no-such-tool-xyz", "--version"])


def test_a_tool_path_that_does_not_exist_or_cannot_run_is_tool_missing(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing, match="could not be started"):
        run([str(tmp_path / "nothing-here")])
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    with pytest.raises(ToolMissing, match="cannot be run") as caught:
        run([str(script)])
    assert caught.value.fix is not None
    assert "chmod" in caught.value.fix


def test_which_finds_tools_on_the_path_and_uv_always() -> None:
    assert Path(which("git")).name == "git"
    assert Path(find_uv()).exists()
    assert which("uv") == find_uv()


def test_find_uv_falls_back_to_the_uv_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    uv = Path(find_uv())
    assert uv.name == "uv"
    assert os.access(uv, os.X_OK)


def test_find_uv_without_uv_anywhere_is_tool_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setitem(sys.modules, "uv", None)  # the uv package is not installed
    with pytest.raises(ToolMissing, match="uv is not installed") as caught:
        find_uv()
    assert caught.value.fix is not None
    assert "pip install uv" in caught.value.fix


def test_ctrl_c_while_waiting_ends_the_child_in_process(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    pids: list[int] = []

    def interrupt_when_started() -> None:
        pids.extend(wait_for_pids(pidfile))
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_started).start()
    with pytest.raises(Interrupted):
        run([PY, "-c", FAMILY, pidfile], timeout=30)
    assert_all_gone(pids)


# A child that says it started, then waits until a file appears.
GATED = textwrap.dedent(
    """
    import os, sys, time
    open(sys.argv[1], "w").close()
    while not os.path.exists(sys.argv[2]):
        time.sleep(0.02)
    print("done")
    """
)


def interrupt_patient(started: Path, sig: signal.Signals, then: Callable[[], object]) -> list[str]:
    """Once the GATED child has started, send `sig` to this process; once the patient callback
    has told (the list this returns gets an entry), call `then`."""
    told: list[str] = []

    def interrupt() -> None:
        while not started.exists():
            time.sleep(0.02)
        os.kill(os.getpid(), sig)
        while not told:  # the first one was handled: what follows is not merged into it
            time.sleep(0.02)
        then()

    threading.Thread(target=interrupt).start()
    return told


def test_a_patient_child_survives_a_first_interrupt_and_the_result_says_so(tmp_path: Path) -> None:
    started, go = tmp_path / "started", tmp_path / "go"
    told = interrupt_patient(started, signal.SIGTERM, lambda: go.write_text(""))
    pgids: list[int] = []
    result = run(
        [PY, "-c", GATED, started, go],
        timeout=60,
        on_start=pgids.append,
        patient=lambda: told.append("waiting"),
    )
    assert result.ok
    assert result.interrupted
    assert result.stdout.strip() == "done"
    assert told == ["waiting"]
    assert len(pgids) == 1


def test_a_second_interrupt_ends_a_patient_child(tmp_path: Path) -> None:
    started, go = tmp_path / "started", tmp_path / "never"
    told = interrupt_patient(started, signal.SIGINT, lambda: os.kill(os.getpid(), signal.SIGINT))
    pgids: list[int] = []
    with pytest.raises(Interrupted):
        run(
            [PY, "-c", GATED, started, go],
            timeout=60,
            on_start=pgids.append,
            patient=lambda: told.append("waiting"),
        )
    assert not group_alive(pgids[0])


def test_a_timeout_ends_the_child_and_its_grandchild(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    pids: list[int] = []
    started = time.monotonic()

    def read_pids() -> None:
        pids.extend(wait_for_pids(pidfile))

    reader = threading.Thread(target=read_pids)
    reader.start()
    with pytest.raises(ProcessTimeout) as caught:
        run([PY, "-c", FAMILY, pidfile], timeout=5)
    reader.join()
    assert time.monotonic() - started < 15
    assert caught.value.exit_code == ExitCode.CHECKS_FAILED
    assert "did not finish within 5 s" in caught.value.message
    assert len(pids) == 2
    assert_all_gone(pids)


DRIVER = textwrap.dedent(
    """
    import sys
    from qdev.error_handler import error_boundary
    from qdev.tools.process import run
    with error_boundary(lambda: False) as code:
        run([sys.executable, "-c", sys.argv[1], sys.argv[2]])
    sys.exit(code[0])
    """
)


def start_driver(pidfile: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [PY, "-c", DRIVER, FAMILY, str(pidfile)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_ctrl_c_ends_the_whole_tree_and_exits_130(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    driver = start_driver(pidfile)
    try:
        pids = wait_for_pids(pidfile)
        driver.send_signal(signal.SIGINT)
        _, stderr = driver.communicate(timeout=20)
    finally:
        driver.kill()
    assert driver.returncode == 130
    assert "qdev: interrupted" in stderr
    assert "Traceback" not in stderr
    assert_all_gone(pids)


def test_uncaptured_output_streams_straight_through(tmp_path: Path) -> None:
    code = "import sys; print('streamed', flush=True); sys.exit(0)"
    env = {**os.environ, "PYTHONPATH": SRC}
    script = "import sys; from qdev.tools.process import run; r = run(sys.argv[1:], capture=False);"
    script += " print('captured:', repr(r.stdout))"
    done = subprocess.run(
        [PY, "-c", script, PY, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout == "streamed\ncaptured: ''\n"


def test_kill_group_uses_sigkill_when_sigterm_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "GRACE_SECONDS", 0.3)
    ready = tmp_path / "ready"
    code = (
        "import signal, sys, time, pathlib; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        " pathlib.Path(sys.argv[1]).touch(); time.sleep(60)"
    )
    proc = subprocess.Popen([PY, "-c", code, str(ready)], start_new_session=True, text=True)
    while not ready.exists():
        time.sleep(0.02)
    kill_group(proc)
    assert proc.returncode == -signal.SIGKILL
    kill_group(proc)  # already gone: nothing to do, no error


def test_child_group_ends_every_running_tree_and_refuses_new_children(tmp_path: Path) -> None:
    group = ChildGroup()
    results: list[int] = []
    pidfiles = [tmp_path / "a", tmp_path / "b"]

    def work(pidfile: Path) -> None:
        results.append(group.run([PY, "-c", FAMILY, str(pidfile)]).returncode)

    threads = [threading.Thread(target=work, args=(pidfile,)) for pidfile in pidfiles]
    for thread in threads:
        thread.start()
    pids = [pid for pidfile in pidfiles for pid in wait_for_pids(pidfile)]
    started = time.monotonic()
    group.end_all()
    for thread in threads:
        thread.join(timeout=20)
    assert time.monotonic() - started < 10
    assert sorted(results) == [-signal.SIGTERM, -signal.SIGTERM]
    assert_all_gone(pids)
    with pytest.raises(Interrupted):
        group.run([PY, "-c", "pass"])


def test_child_group_runs_children_like_run(tmp_path: Path) -> None:
    result = ChildGroup().run([PY, "-c", "import os; print(os.getcwd())"], cwd=tmp_path)
    assert result.ok
    assert result.stdout.strip() == str(tmp_path.resolve())
