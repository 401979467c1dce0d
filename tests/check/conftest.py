"""Repos for `qdev check` tests: one `qdev init --kind library` repo per session, copied per test.

A copy gets its own `.venv` from `uv sync --frozen` (a copied venv would still run the
template's interpreter and import the template's code), and `qdev env`'s marker.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.tools import process

from .check_helpers import QDEV, git, sync_env


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library repo made by `qdev init`, committed, with its environment; made once and
    shared by every xdist worker."""
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the folder every worker's base temp lives in
    folder = shared / "check-template" / "quantlib"
    with FileLock(str(shared / "check-template.lock")):
        if not (folder / ".venv" / "qdev-env.json").exists():
            _init_template(folder, shared / "check-template-home")
    return folder


def _init_template(folder: Path, home: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    # The autouse fixture isolates each test, not the session: give git an identity here.
    (home / "gitconfig").write_text(
        "[user]\n\tname = Test Quant\n\temail = quant@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    env = {
        "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    made = process.run(
        [*QDEV, "init", str(folder), "--kind", "library", "--yes", "--commit"],
        env=process.child_env(env),
        timeout=300,
    )
    assert made.returncode == 0, made.output


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
