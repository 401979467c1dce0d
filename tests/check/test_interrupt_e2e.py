"""Ctrl-C (or SIGTERM) during a check ends every child process within 2 s and exits 130."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .check_helpers import QDEV

pytestmark = pytest.mark.e2e

SLEEPING_TEST = """
import os
import subprocess
import sys
import time
from pathlib import Path


def test_sleeps() -> None:
    # A grandchild too, to show the whole process group is ended.
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    Path(os.environ["PIDS_FILE"]).write_text(f"{os.getpid()} {child.pid}")
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead but not yet reaped by its parent; /proc tells them apart.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_ends_every_child_and_exits_130(
    repo: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    (repo / "tests" / "test_sleep.py").write_text(SLEEPING_TEST)
    pids_file = tmp_path / "pids"
    env = {**os.environ, "PIDS_FILE": str(pids_file)}
    check = subprocess.Popen(
        [*QDEV, "check", "test", "lint", "--no-cache"], cwd=repo, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (pids_file.exists() and pids_file.read_text().strip()):
        assert time.monotonic() < deadline, "the sleeping test never started"
        assert check.poll() is None, check.communicate()
        time.sleep(0.05)
    pytest_pid, grandchild_pid = map(int, pids_file.read_text().split())

    sent = time.monotonic()
    check.send_signal(sig)
    _, stderr = check.communicate(timeout=10)

    assert check.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    while (_alive(pytest_pid) or _alive(grandchild_pid)) and time.monotonic() - sent < 2:
        time.sleep(0.02)
    assert not _alive(pytest_pid), "pytest outlived qdev check"
    assert not _alive(grandchild_pid), "a grandchild outlived qdev check"
    assert time.monotonic() - sent < 2.5
    assert not list((repo / ".qdev" / "cache" / "check").glob("test@*"))
