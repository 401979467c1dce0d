"""Fixtures for the corpus: each real project made a repo and adopted once per test session.

`adopted_project(name)` downloads (once, cached outside the repo) and unpacks the pinned sdist,
makes it a git repo with a bare `origin` on its real branch and tag format, runs the real
`qdev init --yes` (environment included), and commits the adoption as a team member would. The
tests then share that repo, one at a time per project (a file lock), so the whole corpus costs
one environment per project. The uv cache is the real one (tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from qdev.tools import process

from .corpus import Project, make_repo, projects

PROJECTS = projects()


@dataclass(frozen=True)
class AdoptedProject:
    project: Project
    repo: Path
    pristine: Path
    """The project as unpacked, before qdev touched it (no .git)."""
    code: int
    out: str
    err: str
    seconds: float
    lock: Path

    @contextmanager
    def exclusive(self) -> Iterator[Path]:
        """The repo, for one test at a time across the xdist workers."""
        with FileLock(str(self.lock)):
            yield self.repo


def qdev(repo: Path, *args: str, timeout: float = 900) -> process.ProcessResult:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "UV_PYTHON_DOWNLOADS": "never"}
    return process.run([sys.executable, "-m", "qdev", *args], cwd=repo, env=env, timeout=timeout)


def git(repo: Path, *args: str) -> process.ProcessResult:
    return process.run(["git", *args], cwd=repo)


@pytest.fixture(scope="session")
def adopted_project(shared_dir: Path, ci_ready_profile: Path) -> Callable[[str], AdoptedProject]:

    def adopt(name: str) -> AdoptedProject:
        project = PROJECTS[name]
        folder = shared_dir / f"corpus-{name}"
        lock = Path(str(folder) + ".lock")
        with FileLock(str(lock)):
            if not (folder / "done").exists():
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                _adopt(project, folder, ci_ready_profile)
        return AdoptedProject(
            project,
            folder / name,
            folder / "pristine",
            int((folder / "code").read_text()),
            (folder / "out").read_text(),
            (folder / "err").read_text(),
            float((folder / "seconds").read_text()),
            Path(str(folder) + ".repo.lock"),
        )

    return adopt


def _adopt(project: Project, folder: Path, profile: Path) -> None:
    repo = make_repo(project, folder / project.name)
    shutil.copytree(repo, folder / "pristine", ignore=shutil.ignore_patterns(".git"))
    remote = folder / "origin.git"
    assert git(folder, "init", "-q", "--bare", str(remote)).ok
    assert git(repo, "remote", "add", "origin", str(remote)).ok
    assert git(repo, "push", "-q", "-u", "origin", project.branch, "--tags").ok
    assert git(repo, "remote", "set-head", "origin", project.branch).ok
    started = time.monotonic()
    ran = qdev(repo, "init", ".", "--yes", "--profile", str(profile))
    if project.expect == "migrate":
        assert ran.returncode == 2, ran.output
        assert "qdev init --migrate" in ran.stderr, ran.stderr
        started = time.monotonic()
        ran = qdev(repo, "init", ".", "--yes", "--migrate", "--profile", str(profile))
    seconds = time.monotonic() - started
    if ran.ok or project.expect == "env-broken":
        # As a team member would: commit what qdev wrote (an env-broken adoption keeps its
        # files). --no-verify because the old code's findings are not the adoption's to fix (the
        # hook's own test commits a README edit).
        assert git(repo, "add", "--all").ok
        committed = git(repo, "commit", "-q", "--no-verify", "-m", "chore: adopt the qdev standard")
        assert committed.ok, committed.output
    (folder / "code").write_text(str(ran.returncode))
    (folder / "out").write_text(ran.stdout)
    (folder / "err").write_text(ran.stderr)
    (folder / "seconds").write_text(f"{seconds:.3f}")
    (folder / "done").write_text("")
