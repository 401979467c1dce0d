"""On a terminal, `qdev init` asks for what the flags and the folder don't say; never with --yes."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
import tomllib
from pathlib import Path


class Terminal:
    """`qdev init` running on a real pseudo-terminal."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.master, slave = pty.openpty()
        env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qdev", "init", *args],
            cwd=cwd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
        )
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"waited for {text!r}, got:\n{self.seen}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.master, 4096).decode(errors="replace")
                except OSError:  # the child closed the terminal
                    assert text in self.seen, f"waited for {text!r}, got:\n{self.seen}"

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def finish(self) -> int:
        code = self.proc.wait(timeout=60)
        os.close(self.master)
        return code


def test_missing_values_are_asked_for_with_defaults(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "desk-tools", "--no-env", "--no-git")
    term.expect("Kind of repo (library/research/service) [library]:")
    term.send("notebook")
    term.expect("choose one of: library, research, service")
    term.send("research")
    term.expect("Project name [desk-tools]:")
    term.send("")
    term.expect("Python versions, oldest first [3.11, 3.12, 3.13]:")
    term.send("3.12, 3.13")
    term.expect("wrote")
    assert term.finish() == 0
    config = tomllib.loads((tmp_path / "desk-tools" / "qdev.toml").read_text())
    assert config["project"] == {
        "name": "desk-tools",
        "kind": "research",
        "python": ["3.12", "3.13"],
    }


def test_with_yes_nothing_is_asked_even_on_a_terminal(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "demo", "--yes", "--no-env", "--no-git")
    term.expect("wrote")
    assert term.finish() == 0
    assert "[library]" not in term.seen
    assert (tmp_path / "demo" / "src" / "demo" / "core.py").is_file()


def test_values_given_as_flags_are_not_asked_for(tmp_path: Path) -> None:
    term = Terminal(
        tmp_path,
        "demo",
        "--name",
        "demo",
        "--kind",
        "service",
        "--python",
        "3.11",
        "--no-env",
        "--no-git",
    )
    term.expect("wrote")
    assert term.finish() == 0
    assert "Kind of repo" not in term.seen
    assert "Python versions" not in term.seen
    assert "Project name" not in term.seen
    assert (tmp_path / "demo" / "Dockerfile").is_file()
