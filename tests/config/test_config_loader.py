"""Finding the repo, reading files, the user file, environment and command-line layers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdev.config.layers import MAX_FILE_BYTES, Layer, Source, deep_merge, read_toml
from qdev.config.loader import builtin_profiles_dir, load_config, validate_file
from qdev.config.models import QdevConfig
from qdev.errors import ConfigError, ExitCode


def test_the_repo_is_found_by_walking_up(repo: Path) -> None:
    (repo / "qdev.toml").write_text("[check]\ncoverage = 95\n")
    deep = repo / "src" / "pkg"
    deep.mkdir(parents=True)

    loaded = load_config(deep, environ={})

    assert loaded.root == repo
    assert loaded.config_file == repo / "qdev.toml"
    assert loaded.config.check.coverage == 95


def test_start_defaults_to_the_current_folder(repo: Path) -> None:
    (repo / "qdev.toml").write_text("[release]\nbranch = 'trunk'\n")

    assert load_config(environ={}).config.release.branch == "trunk"


def test_a_pyproject_without_tool_qdev_is_the_root_with_defaults(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n[tool.ruff]\nline-length = 90\n")

    loaded = load_config(repo, environ={})

    assert loaded.root == repo
    assert loaded.config_file is None
    assert loaded.config == QdevConfig()


def test_tool_qdev_in_pyproject_is_read(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n[tool.qdev.project]\nkind = 'service'\n"
    )

    loaded = load_config(repo, environ={})

    assert loaded.config_file == repo / "pyproject.toml"
    assert loaded.config.project.kind == "service"
    assert str(loaded.source_of("project.kind")) == "pyproject.toml:4:1"


def test_without_any_config_the_root_is_the_git_top_level(repo: Path) -> None:
    inner = repo / "notebooks"
    inner.mkdir()

    loaded = load_config(inner, environ={})

    assert loaded.root == repo
    assert loaded.config_file is None


def test_outside_any_repo_the_root_is_the_start(tmp_path: Path) -> None:
    lonely = tmp_path / "lonely"
    lonely.mkdir()

    assert load_config(lonely, environ={}).root == lonely


def test_the_builtin_profile_is_found_by_name(repo: Path) -> None:
    (repo / "qdev.toml").write_text('extends = { name = "default" }\n')

    loaded = load_config(repo, environ={})

    assert loaded.profile_dir == builtin_profiles_dir() / "default"


def test_a_profile_folder_without_qdev_toml_adds_nothing(repo: Path) -> None:
    (repo.parent / "team").mkdir()
    (repo / "qdev.toml").write_text("extends = { path = '../team' }\n")

    loaded = load_config(repo, environ={})

    assert loaded.profile_dir == repo.parent / "team"
    assert loaded.config.check == QdevConfig().check


def test_an_empty_extends_table_is_an_error(repo: Path) -> None:
    (repo / "qdev.toml").write_text("\nextends = {}\n")

    with pytest.raises(
        ConfigError, match=r"qdev.toml:2:1: extends: expected one of name, path or git"
    ):
        load_config(repo, environ={})


# -- the user's file ----------------------------------------------------------------------------


def test_user_preferences_are_read_and_jobs_applies_to_check(repo: Path, user_file: Path) -> None:
    user_file.parent.mkdir(parents=True)
    user_file.write_text("color = false\nverbose = true\njobs = 6\n")

    loaded = load_config(repo, environ={})

    assert loaded.user.color is False
    assert loaded.user.verbose is True
    assert loaded.config.check.jobs == 6
    assert loaded.user_file == user_file
    assert loaded.source_of("check.jobs").kind == "user"


def test_user_file_problems_are_all_listed(repo: Path, user_file: Path) -> None:
    user_file.parent.mkdir(parents=True)
    user_file.write_text("verbose = 'loud'\n[release]\npush = false\n")

    with pytest.raises(ConfigError) as caught:
        load_config(repo, environ={})

    assert len(caught.value.problems) == 2
    assert 'config.toml:2:1: release: "release" is repo policy' in caught.value.problems[1]
    assert "config.toml:1:1: verbose: expected true or false" in caught.value.problems[0]
    assert caught.value.fix is not None
    assert "color, jobs, verbose" in caught.value.fix


# -- environment and command line ---------------------------------------------------------------


def test_overrides_beat_everything(repo: Path) -> None:
    (repo / "qdev.toml").write_text("[check]\njobs = 2\n")

    loaded = load_config(repo, environ={"QDEV_CHECK__JOBS": "3"}, overrides={"check.jobs": 4})

    assert loaded.config.check.jobs == 4
    assert str(loaded.source_of("check.jobs")) == "command line (check.jobs)"


def test_a_bad_override_names_the_command_line(repo: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(repo, environ={}, overrides={"check.jbos": 4})

    assert caught.value.problems == [
        'command line (check.jbos): check.jbos: unknown key "jbos"; did you mean "jobs"?'
    ]
    assert caught.value.fix == "correct the command-line option"


def test_overrides_that_clash_are_an_error(repo: Path) -> None:
    with pytest.raises(ConfigError, match=r"command line check.jobs: clashes"):
        load_config(repo, environ={}, overrides={"check.jobs.max": 5, "check.jobs": 4})


def test_a_malformed_override_key_is_an_error(repo: Path) -> None:
    with pytest.raises(ConfigError, match="not a dotted configuration key"):
        load_config(repo, environ={}, overrides={"check..jobs": 4})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"QDEV_CHECK____JOBS": "4"}, "QDEV_CHECK____JOBS: not a configuration variable name"),
        ({"QDEV_EXTENDS__NAME": "default"}, "extends can only be set in qdev.toml"),
        (
            {"QDEV_CHECK__JOBS": "4", "QDEV_CHECK__JOBS__MAX": "5"},
            "QDEV_CHECK__JOBS__MAX: clashes with another one that sets a key above or inside",
        ),
        (
            {"QDEV_CHECK__COVERAGE": "high"},
            'check.coverage: expected a number from 0 to 100, got "high"',
        ),
    ],
)
def test_bad_environment_variables_are_named(
    repo: Path, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(repo, environ=environ)

    assert message in caught.value.render()
    assert caught.value.exit_code == ExitCode.USAGE


def test_the_real_environment_is_read_by_default(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QDEV_CI__PROVIDER", "gitlab")

    assert load_config(repo).config.ci.provider == "gitlab"


# -- reading files ------------------------------------------------------------------------------


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "qdev.toml"
    path.write_bytes(b"\xef\xbb\xbf[check]\ncoverage = 70\n")

    assert read_toml(path)[0] == {"check": {"coverage": 70}}


def test_a_syntax_error_at_the_end_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "qdev.toml"
    path.write_text("[check]\ncoverage =")

    with pytest.raises(
        ConfigError, match=r"qdev.toml:2:11: invalid TOML|invalid TOML: .*end of the file"
    ):
        read_toml(path)


def test_a_fifo_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "qdev.toml")

    with pytest.raises(ConfigError, match="not a regular file"):
        read_toml(tmp_path / "qdev.toml")


def test_a_file_just_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "qdev.toml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))

    with pytest.raises(ConfigError, match="are refused"):
        read_toml(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: no such file"):
        validate_file(tmp_path / "nope.toml")


def test_a_path_through_a_file_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")

    with pytest.raises(ConfigError, match="cannot read: Not a directory"):
        read_toml(tmp_path / "file" / "qdev.toml")


# -- small parts --------------------------------------------------------------------------------


def test_deep_merge_merges_tables_and_replaces_the_rest() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": {"e": 1}, "f": 1}
    over = {"a": {"c": [3]}, "d": 5, "f": {"g": 2}}

    assert deep_merge(base, over) == {"a": {"b": 1, "c": [3]}, "d": 5, "f": {"g": 2}}
    assert base["a"] == {"b": 1, "c": [1, 2]}


def test_sources_render_for_people_and_scripts(tmp_path: Path) -> None:
    in_file = Source("repo", tmp_path / "qdev.toml", 3, 1)
    no_line = Source("profile", tmp_path / "qdev.toml")

    assert str(in_file) == f"{tmp_path / 'qdev.toml'}:3:1"
    assert str(no_line) == str(tmp_path / "qdev.toml")
    assert in_file.to_json()["line"] == 3
    assert Source("default").to_json()["text"] == "default"


leaf = st.one_of(st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2))
trees = st.recursive(
    st.dictionaries(st.sampled_from("abcd"), leaf, max_size=3),
    lambda inner: st.dictionaries(st.sampled_from("abcd"), st.one_of(leaf, inner), max_size=3),
    max_leaves=12,
)


def flatten(tree: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    flat: dict[tuple[str, ...], Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):  # an empty table adds nothing and replaces nothing
            flat |= flatten(value, (*prefix, key))
        else:
            flat[(*prefix, key)] = value
    return flat


@settings(deadline=None)  # the machine is shared: wall time says nothing here
@given(trees, trees)
def test_deep_merge_property_higher_wins_and_nothing_else_is_lost(
    low: dict[str, Any], high: dict[str, Any]
) -> None:
    merged = flatten(deep_merge(low, high))
    high_flat = flatten(high)

    for path, value in high_flat.items():
        assert merged[path] == value
    for path, value in flatten(low).items():
        replaced_above = any(path[:cut] in high_flat for cut in range(1, len(path)))
        shadowed = replaced_above or Layer("repo", high).holds(path)
        if not shadowed:
            assert merged[path] == value
