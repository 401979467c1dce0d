"""Helpers for `qdev check` tests: run the real qdev and git in a repo."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qdev import envstate
from qdev.tools import process

QDEV = [sys.executable, "-m", "qdev"]


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data

    def steps(self) -> dict[str, dict[str, Any]]:
        return {step["id"]: step for step in self.json()["steps"]}


def qdev(repo: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> Ran:
    """Run the real `qdev` command in `repo`."""
    result = process.run([*QDEV, *args], cwd=repo, env=process.child_env(env), timeout=timeout)
    return Ran(result.returncode, result.stdout, result.stderr)


def git(repo: Path, *args: str) -> str:
    result = process.run(["git", *args], cwd=repo)
    assert result.ok, result.output
    return result.stdout


def sync_env(repo: Path) -> None:
    result = process.run([process.find_uv(), "sync", "--frozen", "--quiet"], cwd=repo)
    assert result.ok, result.output
    envstate.write_marker(repo)
