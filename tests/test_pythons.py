"""Finding the interpreters pyenv keeps, newest patch release first."""

from __future__ import annotations

from pathlib import Path

import pytest

from qdev.tools.pythons import newest_pyenv_install, pyenv_bin_dirs


def _install(root: Path, version: str) -> Path:
    minor = version.rsplit(".", 1)[0]
    python = root / "versions" / version / "bin" / f"python{minor}"
    python.parent.mkdir(parents=True)
    python.touch()
    return python.parent


@pytest.fixture
def pyenv_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    return tmp_path


def test_the_newest_patch_release_wins_by_number_not_by_spelling(pyenv_root: Path) -> None:
    _install(pyenv_root, "3.12.9")
    newest = _install(pyenv_root, "3.12.10")
    _install(pyenv_root, "3.13.0")

    assert newest_pyenv_install("3.12") == newest.parent


def test_folders_that_are_not_plain_releases_or_lack_the_interpreter_are_ignored(
    pyenv_root: Path,
) -> None:
    (pyenv_root / "versions" / "3.11.7").mkdir(parents=True)  # no bin/python3.11
    _install(pyenv_root, "3.11.5")
    (pyenv_root / "versions" / "3.11-dev" / "bin").mkdir(parents=True)

    assert newest_pyenv_install("3.11") == pyenv_root / "versions" / "3.11.5"
    assert newest_pyenv_install("3.10") is None


def test_bin_folders_follow_the_order_asked_and_skip_missing_versions(pyenv_root: Path) -> None:
    bin_313 = _install(pyenv_root, "3.13.1")
    bin_311 = _install(pyenv_root, "3.11.2")

    assert pyenv_bin_dirs(["3.13", "3.12", "3.11"]) == [bin_313, bin_311]
