"""Repos for `qdev check` tests: one `qdev init --kind library` repo per session, copied per test.

A copy gets its own `.venv` from `uv sync --frozen` (a copied venv would still run the
template's interpreter and import the template's code), and `qdev env`'s marker.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.tools import process

from .check_helpers import QDEV, git, sync_env


@pytest.fixture(scope="session")
def template_repo(shared_dir: Path, session_env: Callable[[Path], dict[str, str]]) -> Path:
    """A library repo made by `qdev init`, committed, with its environment; made once and
    shared by every xdist worker."""
    from filelock import FileLock

    folder = shared_dir / "check-template" / "quantlib"
    with FileLock(str(shared_dir / "check-template.lock")):
        if not (folder / ".venv" / "qdev-env.json").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.parent.mkdir(parents=True, exist_ok=True)
            made = process.run(
                [*QDEV, "init", str(folder), "--kind", "library", "--yes", "--commit"],
                env=session_env(shared_dir / "check-template-home"),
                timeout=300,
            )
            assert made.returncode == 0, made.output
    return folder


@pytest.fixture
def repo(template_repo: Path, tmp_path: Path) -> Path:
    """A private copy of the template repo with a fresh environment."""
    copy = tmp_path / "quantlib"
    shutil.copytree(
        template_repo, copy, symlinks=True, ignore=shutil.ignore_patterns(".venv", ".qdev-cache")
    )
    shutil.rmtree(copy / ".qdev" / "cache", ignore_errors=True)
    sync_env(copy)
    return copy


@pytest.fixture
def commit() -> Callable[[Path, str], None]:
    def _commit(repo: Path, message: str) -> None:
        git(repo, "add", "--all")
        git(repo, "commit", "-q", "-m", message)

    return _commit


@pytest.fixture
def small_repo(tmp_path: Path) -> Path:
    """A git repo with a pyproject.toml and one module, both added: nothing to sync."""
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (repo / "src" / "a.py").write_text("A = 1\n")
    git(repo, "init", "-q")
    git(repo, "add", "pyproject.toml", "src")
    return repo
