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


def _profile(tmp_path: Path, extra: str, version: str = "1.2.0") -> Path:
    (tmp_path / "templates" / "common").mkdir(parents=True)
    (tmp_path / "profile.toml").write_text(f'name = "team"\nversion = "{version}"\n{extra}')
    return tmp_path


def test_file_policies_match_globs_in_order_and_default_to_managed(tmp_path: Path) -> None:
    profile = source.from_folder(
        _profile(
            tmp_path, '[files]\n"src/**" = "once"\n"src/x.py" = "managed"\n"*.toml" = "merged"\n'
        )
    )
    assert profile.policy("src/pkg/x.py") == source.Policy.ONCE
    assert profile.policy("src/x.py") == source.Policy.ONCE  # the first match wins
    assert profile.policy("pyproject.toml") == source.Policy.MERGED
    assert profile.policy("noxfile.py") == source.Policy.MANAGED


def test_a_bad_policy_a_non_semver_version_and_bad_migrations_are_named(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r'files."a" = \'sometimes\': expected one of managed'):
        source.from_folder(_profile(tmp_path / "a", '[files]\na = "sometimes"\n'))
    with pytest.raises(ProfileError, match="not a semantic version") as caught:
        source.from_folder(_profile(tmp_path / "b", "", version="2.1"))
    assert caught.value.fix is not None
    with pytest.raises(ProfileError, match=r"\[\[migrations\]\] entries need"):
        source.from_folder(_profile(tmp_path / "c", '[[migrations]]\nversion = "x"\nnote = "n"\n'))


def test_variables_take_a_default_and_an_optional_question(tmp_path: Path) -> None:
    profile = source.from_folder(
        _profile(tmp_path, '[variables]\na = "1"\nb = {default = "2", help = "What is b?"}\n')
    )
    assert profile.variables == {"a": "1", "b": "2"}
    assert profile.variable_help == {"b": "What is b?"}
    with pytest.raises(ProfileError, match=r"variables\.c"):
        source.from_folder(_profile(tmp_path / "x", "[variables]\nc = 3\n"))


def test_migration_notes_between_two_versions_in_semver_order(tmp_path: Path) -> None:
    notes = "".join(
        f'[[migrations]]\nversion = "{v}"\nnote = "n{v}"\n'
        for v in ("2.0.0", "1.10.0", "1.9.0", "2.0.0-rc.1")
    )
    profile = source.from_folder(_profile(tmp_path, notes, version="2.0.0"))
    found = [m.version for m in profile.notes_between("1.9.0", "2.0.0")]
    assert found == ["1.10.0", "2.0.0-rc.1", "2.0.0"]
    assert source.semver_key("not.a.version") < source.semver_key("0.0.1")
