"""Repos for `qdev doctor`: a team profile folder and a repo `qdev init` made from it, with its
environment and git hook, made once per session; most tests plant one problem in a copy.

A copy's `.venv` is a link to the template's, and its hook still starts the template's
interpreter: enough for the doctor, which reads them and never changes them (a test that
repairs the environment removes the link first).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from qdev.__main__ import main
from qdev.profile.source import BUILTIN_DIR
from qdev.tools import process

PYTHONS = ("3.11", "3.12")


@dataclass(frozen=True)
class Doctored:
    code: int
    report: dict[str, object]
    findings: dict[str, dict[str, object]]
    err: str

    def status(self, finding: str) -> object:
        return self.findings[finding]["status"]


RunDoctor = Callable[..., Doctored]
ServeIndex = Callable[..., str]
"""The root conftest's `serve_index` fixture."""


@pytest.fixture(scope="session")
def team_template(shared_dir: Path, session_env: Callable[[Path], dict[str, str]]) -> Path:
    """`<folder>/profile` (a copy of the built-in profile) and `<folder>/demo`, made from it."""
    folder = shared_dir / "doctor-template"
    with FileLock(str(folder) + ".lock"):
        if not (folder / "done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(BUILTIN_DIR / "default", folder / "profile")
            _init(folder, session_env(shared_dir / "doctor-template-home"))
            (folder / "done").write_text("")
    return folder


def _init(folder: Path, env: dict[str, str]) -> None:
    pythons = [arg for version in PYTHONS for arg in ("--python", version)]
    made = process.run(
        [sys.executable, "-m", "qdev", "init", "demo", "--profile", "profile", "--kind",
         "library", *pythons, "--yes", "--commit"],
        cwd=folder,
        env=env,
        timeout=600,
    )  # fmt: skip
    assert made.ok, made.output


@pytest.fixture
def on_path(monkeypatch: pytest.MonkeyPatch, pyenv_selection: Callable[..., str]) -> None:
    """This qdev first on PATH, and pyenv answering for the repo's Pythons."""
    here = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", os.pathsep.join([here, os.environ.get("PATH", "")]))
    monkeypatch.setenv("PYENV_VERSION", pyenv_selection(*PYTHONS))


@pytest.fixture
def repo(team_template: Path, tmp_path: Path, on_path: None) -> Path:
    """A private copy of the team profile and the repo, its .venv a link to the template's."""
    team = tmp_path / "team"
    shutil.copytree(team_template, team, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    (team / "demo" / ".venv").symlink_to(team_template / "demo" / ".venv")
    # `.venv/` in .gitignore matches folders only: the link would make the tree dirty.
    with (team / "demo" / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write(".venv\n")
    return team / "demo"


@pytest.fixture
def doctor(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunDoctor:
    """`doctor(repo, "--fix")`: the real CLI in this process, `--json`, read back."""
    monkeypatch.setenv("NO_COLOR", "1")

    def run(where: Path, *args: str) -> Doctored:
        capsys.readouterr()
        code = main(["doctor", "--json", *args, str(where)])
        captured = capsys.readouterr()
        report = json.loads(captured.out)
        findings = {finding["id"]: finding for finding in report["findings"]}
        return Doctored(code, report, findings, captured.err)

    return run
