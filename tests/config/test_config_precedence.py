"""Precedence over every layer: the highest layer that sets a key wins, and its source is named.

Layers, lowest first: built-in default, team profile (extends), repo file (qdev.toml or
[tool.qdev]), user file, QDEV_* environment variables, command-line overrides.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdev.config.loader import load_config
from qdev.config.models import QdevConfig
from qdev.config.render import toml_value

from .conftest import RunCli

LAYERS = ("profile", "repo", "user", "env", "override")


@dataclass(frozen=True)
class Key:
    dotted: str
    values: st.SearchStrategy[Any]
    read: Callable[[QdevConfig], Any]
    user_key: str | None = None  # the name of the same setting in the user's file, if any


KEYS = [
    Key(
        "check.jobs",
        st.integers(1, 256),
        lambda config: config.check.jobs,
        user_key="jobs",
    ),
    Key(
        "check.coverage",
        st.one_of(st.integers(0, 100), st.floats(0, 100, allow_nan=False)),
        lambda config: config.check.coverage,
    ),
    Key(
        "release.branch",
        st.from_regex(r"[a-z][a-z0-9_-]{0,12}(/[a-z0-9][a-z0-9_.-]{0,5}[a-z0-9])?", fullmatch=True),
        lambda config: config.release.branch,
    ),
    Key(
        "project.kind",
        st.sampled_from(["library", "research", "service"]),
        lambda config: config.project.kind.value,
    ),
    Key("check.lint.enabled", st.booleans(), lambda config: config.check.lint.enabled),
    Key(
        "project.python",
        st.lists(st.sampled_from(["3.10", "3.11", "3.12", "3.13"]), min_size=1, unique=True),
        lambda config: config.project.python,
    ),
]


def toml_line(dotted: str, value: object) -> str:
    return f"{dotted} = {toml_value(value)}\n"


@dataclass
class Stack:
    """A repo with chosen layers, each setting the key to its own value."""

    root: Path
    repo: Path
    user_file: Path
    environ: dict[str, str]
    overrides: dict[str, object]

    @classmethod
    def build(cls, root: Path, key: Key, values: dict[str, object], *, pyproject: bool) -> Stack:
        repo, profile = root / "repo", root / "profile"
        repo.mkdir()
        profile.mkdir()
        repo_text = '# the repo\nextends = { path = "../profile" }\n'
        if "repo" in values:
            repo_text += "\n" + toml_line(key.dotted, values["repo"])
        if pyproject:
            pyproject_text = '[project]\nname = "x"\n\n[tool.qdev]\n' + repo_text
            (repo / "pyproject.toml").write_text(pyproject_text)
        else:
            (repo / "qdev.toml").write_text(repo_text)
        if "profile" in values:
            (profile / "qdev.toml").write_text(
                "# the profile\n\n" + toml_line(key.dotted, values["profile"])
            )
        user_file = root / "user" / "config.toml"
        user_file.parent.mkdir()
        if "user" in values:
            assert key.user_key
            user_file.write_text("# mine\n" + toml_line(key.user_key, values["user"]))
        environ = {}
        if "env" in values:
            variable = "QDEV_" + key.dotted.upper().replace(".", "__")
            environ[variable] = toml_value(values["env"])
        overrides = {key.dotted: values["override"]} if "override" in values else {}
        return cls(root, repo, user_file, environ, overrides)


def expected_source(stack: Stack, key: Key, layer: str) -> str:
    if layer == "profile":
        return f"{stack.root / 'profile' / 'qdev.toml'}:3:1"
    if layer == "repo":
        name = "pyproject.toml" if (stack.repo / "pyproject.toml").exists() else "qdev.toml"
        line = 8 if name == "pyproject.toml" else 4
        return f"{stack.repo / name}:{line}:1"
    if layer == "user":
        return f"{stack.user_file}:2:1"
    if layer == "env":
        return "environment variable QDEV_" + key.dotted.upper().replace(".", "__")
    return f"command line ({key.dotted})"


@st.composite
def layered(draw: st.DrawFn) -> tuple[Key, dict[str, object]]:
    key = draw(st.sampled_from(KEYS))
    allowed = [layer for layer in LAYERS if layer != "user" or key.user_key]
    chosen = draw(st.lists(st.sampled_from(allowed), unique=True))
    return key, {layer: draw(key.values) for layer in chosen}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layered(), st.booleans())
def test_the_highest_layer_wins_and_is_named(
    case: tuple[Key, dict[str, object]], pyproject: bool
) -> None:
    key, values = case
    with tempfile.TemporaryDirectory() as folder:
        stack = Stack.build(Path(folder).resolve(), key, values, pyproject=pyproject)

        loaded = load_config(
            stack.repo, overrides=stack.overrides, environ=stack.environ, user_file=stack.user_file
        )

        winner = max(values, key=LAYERS.index, default=None)
        source = loaded.source_of(key.dotted)
        if winner is None:
            assert key.read(loaded.config) == key.read(QdevConfig())
            assert str(source) == "default"
        else:
            assert key.read(loaded.config) == values[winner]
            assert source.kind == winner
            assert str(source) == expected_source(stack, key, winner)


def test_layers_merge_tables_and_replace_lists(repo: Path, user_file: Path) -> None:
    profile = repo.parent / "profile"
    profile.mkdir()
    (profile / "qdev.toml").write_text(
        "[check]\ncoverage = 90\nsteps = ['lint', 'bench']\n"
        "[check.custom.bench]\nrun = ['pytest', 'benchmarks']\ncwd = 'benchmarks'\n"
        "[env.indexes]\ninternal = 'https://pypi.internal/simple'\n"
    )
    (repo / "qdev.toml").write_text(
        "extends = { path = '../profile' }\n[check]\nsteps = ['format']\n"
        "[check.custom.bench]\nrun = ['pytest', '-x']\n"
        "[env.indexes]\nmirror = 'https://mirror/simple'\n"
    )

    config = load_config(repo, environ={}).config

    assert config.check.coverage == 90
    assert config.check.steps == ["format"]
    assert config.check.custom["bench"].run == ["pytest", "-x"]
    assert config.check.custom["bench"].cwd == "benchmarks"
    assert config.env.indexes == {
        "internal": "https://pypi.internal/simple",
        "mirror": "https://mirror/simple",
    }


def test_profiles_chain_through_their_own_extends(repo: Path) -> None:
    base, team = repo.parent / "base", repo.parent / "team"
    base.mkdir()
    team.mkdir()
    (base / "qdev.toml").write_text(
        "[release]\nbranch = 'trunk'\ntag_format = 'release-{version}'\n"
    )
    (team / "qdev.toml").write_text("extends = { path = '../base' }\n[release]\nbranch = 'main'\n")
    (repo / "qdev.toml").write_text("extends = { path = '../team' }\n")

    loaded = load_config(repo, environ={})

    assert loaded.config.release.branch == "main"
    assert loaded.config.release.tag_format == "release-{version}"
    assert loaded.profile_dir == team
    assert loaded.config.extends is not None
    assert loaded.config.extends.path == "../team"


def test_profile_cycle_is_an_error(repo: Path) -> None:
    from qdev.errors import ConfigError

    team = repo.parent / "team"
    team.mkdir()
    (team / "qdev.toml").write_text("extends = { path = '../repo' }\n")
    (repo / "qdev.toml").write_text("extends = { path = '../team' }\n")

    with pytest.raises(ConfigError, match="profiles extend each other"):
        load_config(repo, environ={})


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        ("repo", "qdev.toml:2:1"),
        ("user", "config.toml:1:1"),
        ("env", "environment variable QDEV_CHECK__JOBS"),
    ],
)
def test_config_show_sources_names_each_layer(
    layer: str,
    expected: str,
    repo: Path,
    user_file: Path,
    run_cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (repo / "qdev.toml").write_text("[check]\njobs = 2\n")
    if layer in ("user", "env"):
        user_file.parent.mkdir(parents=True)
        user_file.write_text("jobs = 3\n")
    if layer == "env":
        monkeypatch.setenv("QDEV_CHECK__JOBS", "4")

    text = run_cli("config", "show", "--sources")
    data = run_cli("config", "show", "--sources", "--json")

    jobs_line = next(line for line in text.out.splitlines() if line.startswith("jobs = "))
    assert jobs_line.endswith(expected)
    document = json.loads(data.out)
    assert document["config"]["check"]["jobs"] == {"repo": 2, "user": 3, "env": 4}[layer]
    assert document["sources"]["check.jobs"]["text"].endswith(expected)
    assert document["sources"]["check.coverage"]["kind"] == "default"


def test_env_values_that_are_not_toml_are_strings(repo: Path) -> None:
    environ = {"QDEV_RELEASE__BRANCH": "release/2024", "QDEV_CHECK__COVERAGE": "85.5"}

    config = load_config(repo, environ=environ).config

    assert config.release.branch == "release/2024"
    assert config.check.coverage == 85.5


def test_env_can_set_a_whole_table_and_names_its_values(repo: Path) -> None:
    environ = {"QDEV_ENV__INDEXES": '{ internal = "https://pypi.internal/simple" }'}

    loaded = load_config(repo, environ=environ)

    assert loaded.config.env.indexes == {"internal": "https://pypi.internal/simple"}
    assert str(loaded.source_of("env.indexes.internal")) == "environment variable QDEV_ENV__INDEXES"


def test_other_qdev_variables_are_not_configuration(repo: Path) -> None:
    loaded = load_config(repo, environ={"QDEV_FAULT": "crash-at-tag", "QDEV_": "x"})

    assert loaded.config == QdevConfig()
