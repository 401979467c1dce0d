"""Finding a profile: the built-in one, or a folder that must look like a profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from qdev.profile import source
from qdev.profile.source import ProfileError


def test_the_builtin_default_profile_has_a_name_a_version_and_templates() -> None:
    profile = source.builtin()
    assert (profile.name, profile.builtin) == ("default", True)
    assert profile.version
    assert profile.config_file.is_file()
    assert (profile.templates / "common" / "pyproject.toml.tmpl").is_file()
    assert source.builtin_names() == ["default"]


def test_an_unknown_builtin_profile_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match='no built-in profile "team"') as caught:
        source.builtin("team")
    assert caught.value.fix is not None
    assert "default" in caught.value.fix


def test_a_missing_profile_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="does not exist") as caught:
        source.from_folder(tmp_path / "nowhere")
    assert caught.value.exit_code == 2


def test_a_folder_without_profile_toml_is_not_a_profile(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"has no profile\.toml"):
        source.from_folder(tmp_path)


def test_profile_toml_needs_a_name_and_a_version(tmp_path: Path) -> None:
    (tmp_path / "profile.toml").write_text('name = ""\n')
    with pytest.raises(ProfileError) as caught:
        source.from_folder(tmp_path)
    assert "name must be a non-empty string" in caught.value.message
    assert "version must be a non-empty string" in caught.value.message


def test_a_profile_needs_common_templates(tmp_path: Path) -> None:
    (tmp_path / "profile.toml").write_text('name = "team"\nversion = "2"\n')
    with pytest.raises(ProfileError, match="templates/common"):
        source.from_folder(tmp_path)


def test_broken_profile_toml_is_reported_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "profile.toml").write_text("name = \n")
    with pytest.raises(ProfileError, match=r"profile\.toml: cannot be read"):
        source.from_folder(tmp_path)
