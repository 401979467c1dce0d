"""A cached answer equals a fresh run: whatever a tool reads beyond the repo's own tracked files
(a git submodule's files, the packages really installed) is in the key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .check_helpers import git, qdev

pytestmark = pytest.mark.e2e


def _submodule(repo: Path, tmp_path: Path, commit: Callable[[Path, str], None]) -> Path:
    upstream = tmp_path / "helpers"
    upstream.mkdir()
    (upstream / "helper.py").write_text("SCALE = 1\n")
    git(upstream, "init", "-q")
    commit(upstream, "helpers")
    git(
        repo,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(upstream),
        "libs/helpers",
    )
    commit(repo, "vendor the helpers")
    return repo / "libs/helpers"


def test_format_and_lint_rerun_when_a_submodule_file_changes(
    repo: Path, tmp_path: Path, commit: Callable[[Path, str], None]
) -> None:
    helpers = _submodule(repo, tmp_path, commit)
    assert qdev(repo, "check", "format", "lint").code == 0

    (helpers / "helper.py").write_text("import os\nSCALE = [1,2,   3]\n")
    ran = qdev(repo, "check", "format", "lint", "--format", "json")

    assert ran.code == 1, ran.stdout
    steps = ran.steps()
    assert not steps["lint"]["cached"]
    assert steps["lint"]["findings"][0]["path"] == "libs/helpers/helper.py"
    assert steps["format"]["status"] == "failed"
    assert steps["format"]["findings"][0]["path"] == "libs/helpers/helper.py"


def test_a_test_result_is_not_replayed_after_the_environment_changed(repo: Path) -> None:
    (repo / "tests/test_env.py").write_text(
        "import importlib.util\n\n\n"
        "def test_the_scanner_is_installed() -> None:\n"
        '    assert importlib.util.find_spec("detect_secrets") is not None\n'
    )
    assert qdev(repo, "check", "test").code == 0
    with (repo / "qdev.toml").open("a") as handle:  # the same lock, other packages installed
        handle.write('\n[env]\nuv_args = ["--no-install-package", "detect-secrets"]\n')
    assert qdev(repo, "env").code == 0

    ran = qdev(repo, "check", "test", "--format", "json")

    assert ran.code == 1, ran.stdout
    assert not ran.steps()["test"]["cached"]
    assert "test_the_scanner_is_installed" in ran.steps()["test"]["findings"][0]["message"]


def test_a_test_result_is_not_replayed_when_pytest_is_told_otherwise(repo: Path) -> None:
    assert qdev(repo, "check", "test").code == 0

    ran = qdev(repo, "check", "test", "--format", "json", env={"PYTEST_ADDOPTS": "-k nothing"})

    assert ran.code == 1, ran.stdout  # no test ran, so coverage is short
    assert not ran.steps()["test"]["cached"]
