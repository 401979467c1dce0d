"""Every bad input: a clear error, exit 2, and the folder exactly as it was."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.profile import source
from tests.cli_runner import RunQdev

from .helpers import snapshot


def refused(qdev: RunQdev, folder: Path, *args: str | Path) -> str:
    before = snapshot(folder)
    ran = qdev("init", *args, "--yes")
    assert ran.code == 2, ran.out + ran.err
    assert "Traceback" not in ran.err
    assert snapshot(folder) == before
    return ran.err


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("my project", "not a valid project name"),
        ("-demo", "not a valid project name"),
        ("3d-pricer", "which Python cannot import"),
        ("json", "hides a standard library module"),
        ("class", "which Python cannot import"),
    ],
)
def test_an_invalid_name_is_refused(tmp_path: Path, qdev: RunQdev, name: str, says: str) -> None:
    err = refused(qdev, tmp_path, tmp_path / "demo", "--name", name)
    assert says in err
    assert "fix: pass" in err


def test_an_invalid_folder_name_asks_for_a_name(tmp_path: Path, qdev: RunQdev) -> None:
    err = refused(qdev, tmp_path, tmp_path / "my repo")
    assert '"my repo" is not a valid project name' in err
    assert "--name my-repo" in err


def test_path_is_a_file(tmp_path: Path, qdev: RunQdev) -> None:
    (tmp_path / "demo").write_text("not a folder\n")
    err = refused(qdev, tmp_path, tmp_path / "demo")
    assert "is a file, not a folder" in err


def test_path_under_a_file(tmp_path: Path, qdev: RunQdev) -> None:
    (tmp_path / "notes.txt").write_text("x\n")
    err = refused(qdev, tmp_path, tmp_path / "notes.txt" / "demo")
    assert "notes.txt is a file" in err


def test_unwritable_folder(
    tmp_path: Path, qdev: RunQdev, immutable: Callable[[Path], None]
) -> None:
    target = tmp_path / "demo"
    target.mkdir()
    immutable(target)
    err = refused(qdev, tmp_path, target)
    assert "cannot write in" in err
    assert "Operation not permitted" in err


def test_unwritable_parent_of_a_new_folder(
    tmp_path: Path, qdev: RunQdev, immutable: Callable[[Path], None]
) -> None:
    parent = tmp_path / "team"
    parent.mkdir()
    immutable(parent)
    err = refused(qdev, tmp_path, parent / "demo")
    assert f"cannot write in {parent}" in err


def test_a_write_failing_half_way_puts_back_everything_already_written(
    tmp_path: Path, qdev: RunQdev, immutable: Callable[[Path], None]
) -> None:
    target = tmp_path / "demo"
    (target / "tests").mkdir(parents=True)
    (target / "README.md").write_text("ours\n")
    immutable(target / "tests")
    err = refused(qdev, tmp_path, target, "--force")
    assert "nothing was changed" in err
    assert "tests" in err


def test_unknown_kind(tmp_path: Path, qdev: RunQdev) -> None:
    err = refused(qdev, tmp_path, tmp_path / "demo", "--kind", "notebook")
    assert 'unknown kind "notebook"' in err
    assert "library, research, service" in err


def test_missing_profile_folder(tmp_path: Path, qdev: RunQdev) -> None:
    err = refused(qdev, tmp_path, tmp_path / "demo", "--profile", tmp_path / "team-profile")
    assert "team-profile does not exist" in err


def test_a_profile_folder_that_is_not_a_profile(tmp_path: Path, qdev: RunQdev) -> None:
    (tmp_path / "team-profile").mkdir()
    err = refused(qdev, tmp_path, tmp_path / "demo", "--profile", tmp_path / "team-profile")
    assert "has no profile.toml" in err


def test_a_profile_template_with_an_unknown_placeholder(tmp_path: Path, qdev: RunQdev) -> None:
    profile = tmp_path / "team-profile"
    shutil.copytree(source.builtin_path(), profile)
    (profile / "templates" / "common" / "NOTES.md.tmpl").write_text("{{ desk_name }}\n")
    err = refused(qdev, tmp_path, tmp_path / "demo", "--profile", profile)
    assert "NOTES.md.tmpl: unknown placeholder {{ desk_name }}" in err


def test_bad_python_versions(tmp_path: Path, qdev: RunQdev) -> None:
    err = refused(qdev, tmp_path, tmp_path / "demo", "--python", "3.x")
    assert "expected distinct versions like 3.12" in err


def test_commit_without_git(tmp_path: Path, qdev: RunQdev) -> None:
    err = refused(qdev, tmp_path, tmp_path / "demo", "--commit", "--no-git")
    assert "--commit needs git" in err


def test_a_broken_pyproject_is_reported_and_left_alone(tmp_path: Path, qdev: RunQdev) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "pyproject.toml").write_text("[project\nname = 'x'\n")
    err = refused(qdev, tmp_path, tmp_path / "demo")
    assert "pyproject.toml" in err


def test_a_folder_in_the_way_of_a_profile_file(tmp_path: Path, qdev: RunQdev) -> None:
    (tmp_path / "demo" / "noxfile.py").mkdir(parents=True)
    err = refused(qdev, tmp_path, tmp_path / "demo")
    assert "noxfile.py is in the way" in err


def test_a_profile_with_an_invalid_qdev_toml(tmp_path: Path, qdev: RunQdev) -> None:
    profile = tmp_path / "team-profile"
    shutil.copytree(source.builtin_path(), profile)
    (profile / "qdev.toml").write_text("[check]\ncoverage = 140\n")
    err = refused(qdev, tmp_path, tmp_path / "demo", "--profile", profile)
    assert "team-profile/qdev.toml:2:1: check.coverage: expected a number from 0 to 100" in err


def test_a_broken_state_file_is_reported_and_left_alone(tmp_path: Path, qdev: RunQdev) -> None:
    (tmp_path / "demo" / ".qdev").mkdir(parents=True)
    (tmp_path / "demo" / ".qdev" / "state.toml").write_text("profile = [\n")
    err = refused(qdev, tmp_path, tmp_path / "demo")
    assert "state.toml: not a qdev state file" in err
