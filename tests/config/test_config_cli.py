"""`qdev config show|validate|schema` through the real entry point."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest

from qdev.config.models import QdevConfig
from qdev.tools import process

from .conftest import RunCli

RICH_CONFIG = """\
extends = { path = "../team" }

[project]
name = "alpha-signals"
kind = "research"
python = ["3.12", "3.13"]

[env.indexes]
"internal.pypi" = "https://pypi.internal/simple"

[check]
coverage = 92.5
steps = ["lint", "bench"]

[check.custom.bench]
run = ["pytest", "benchmarks", "-k", "fast and not \\"slow\\""]
env = { OMP_NUM_THREADS = "1" }
depends_on = ["lint"]

[release]
scheme = "calver"
sign = "ssh"
"""


@pytest.fixture
def rich_repo(repo: Path) -> Path:
    (repo.parent / "team").mkdir()
    (repo.parent / "team" / "qdev.toml").write_text("[ci]\nprovider = 'gitlab'\n")
    (repo / "qdev.toml").write_text(RICH_CONFIG)
    return repo


def test_show_prints_toml_that_reads_back_to_the_same_config(
    rich_repo: Path, run_cli: RunCli
) -> None:
    result = run_cli("config", "show")

    assert result.code == 0, result.err
    shown = QdevConfig.model_validate(tomllib.loads(result.out))
    assert shown.check.custom["bench"].run[-1] == 'fast and not "slow"'
    assert shown.ci.provider == "gitlab"
    assert shown.env.indexes == {"internal.pypi": "https://pypi.internal/simple"}


def test_show_sources_names_file_and_line_of_each_value(rich_repo: Path, run_cli: RunCli) -> None:
    result = run_cli("config", "show", "--sources")

    lines = result.out.splitlines()
    assert result.code == 0, result.err
    assert any(
        line.startswith("coverage = 92.5") and line.endswith("# qdev.toml:12:1") for line in lines
    )
    assert any(
        line.startswith('provider = "gitlab"') and "team/qdev.toml:2:1" in line for line in lines
    )
    assert any(line.startswith("branch = ") and line.endswith("# default") for line in lines)
    assert any(line.startswith("# jobs is not set") for line in lines)


def test_show_json_is_the_model_dump(rich_repo: Path, run_cli: RunCli) -> None:
    result = run_cli("config", "show", "--json")

    assert result.code == 0, result.err
    assert QdevConfig.model_validate(json.loads(result.out)).release.scheme == "calver"


def test_show_json_sources_lists_every_value(rich_repo: Path, run_cli: RunCli) -> None:
    result = run_cli("config", "show", "--json", "--sources")

    document = json.loads(result.out)
    sources = document["sources"]
    assert sources["check.custom.bench.run"]["line"] == 16
    assert sources['env.indexes."internal.pypi"']["kind"] == "repo"
    assert sources["ci.provider"]["kind"] == "profile"
    assert sources["release.branch"] == {
        "kind": "default",
        "file": None,
        "line": None,
        "column": None,
        "variable": None,
        "text": "default",
    }


def test_validate_says_ok_and_names_the_profile(rich_repo: Path, run_cli: RunCli) -> None:
    result = run_cli("config", "validate")

    assert result.code == 0, result.err
    assert result.out.strip() == f"OK: qdev.toml is valid (profile: {rich_repo.parent / 'team'})"


def test_validate_a_path_outside_the_repo(tmp_path: Path, repo: Path, run_cli: RunCli) -> None:
    other = tmp_path / "elsewhere" / "qdev.toml"
    other.parent.mkdir()
    other.write_text("[check]\ncoverage = 101\n")

    result = run_cli("config", "validate", str(other))

    assert result.code == 2
    assert f"{other}:2:1: check.coverage: expected a number from 0 to 100, got 101" in result.err


def test_validate_pyproject_without_table_is_ok(repo: Path, run_cli: RunCli) -> None:
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")

    result = run_cli("config", "validate", "pyproject.toml")

    assert result.code == 0
    assert "no [tool.qdev] table; built-in defaults apply" in result.out


def test_validate_a_folder_validates_its_repo(rich_repo: Path, run_cli: RunCli) -> None:
    result = run_cli("config", "validate", str(rich_repo))

    assert result.code == 0, result.err


def test_validate_without_any_config(repo: Path, run_cli: RunCli) -> None:
    result = run_cli("config", "validate")

    assert result.code == 0
    assert "no qdev.toml or [tool.qdev]" in result.out


def test_validate_the_user_file_checks_it_as_a_user_file(
    repo: Path, user_file: Path, run_cli: RunCli
) -> None:
    user_file.parent.mkdir(parents=True)
    user_file.write_text("color = true\n")

    ok = run_cli("config", "validate", str(user_file))
    user_file.write_text("color = true\n[release]\nsign = 'gpg'\n")
    bad = run_cli("config", "validate", str(user_file))

    assert ok.code == 0
    assert ok.out.startswith("OK: ")
    assert "config.toml is valid" in ok.out
    assert bad.code == 2
    assert 'config.toml:2:1: release: "release" is repo policy' in bad.err


def test_validate_ignores_the_environment_when_given_a_path(
    repo: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "qdev.toml").write_text("")
    monkeypatch.setenv("QDEV_CHECK__COVERAGE", "lots")

    assert run_cli("config", "validate", "qdev.toml").code == 0
    assert run_cli("config", "validate").code == 2


def test_schema_prints_json_schema(run_cli: RunCli) -> None:
    result = run_cli("config", "schema")

    schema = json.loads(result.out)
    assert schema["$schema"].endswith("2020-12/schema")
    assert set(schema["properties"]) == set(QdevConfig.model_fields)


def test_schema_describes_each_field_by_its_docstring_inherited_ones_too(run_cli: RunCli) -> None:
    schema = json.loads(run_cli("config", "schema").out)

    typecheck = schema["$defs"]["TypecheckOptions"]["properties"]
    assert typecheck["tool"]["description"] == "The type checker to run."
    assert typecheck["timeout"]["description"] == (
        "Seconds before the step is stopped (at most a day)."
    )
    assert schema["properties"]["check"]["description"] == "What `qdev check` runs."


@pytest.mark.e2e
def test_show_json_through_a_real_process(rich_repo: Path) -> None:
    result = process.run(
        [sys.executable, "-m", "qdev", "config", "show", "--json"], cwd=rich_repo, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["project"]["name"] == "alpha-signals"


def test_the_example_in_the_configuration_guide_is_valid(repo: Path, run_cli: RunCli) -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    example = guide.split("```toml\n", 1)[1].split("```", 1)[0]
    (repo / "qdev.toml").write_text(example)

    result = run_cli("config", "validate")

    assert result.code == 0, result.err


def test_show_help_explains_the_layers(run_cli: RunCli) -> None:
    result = run_cli("config", "show", "--help")

    text = " ".join(result.out.split())
    assert result.code == 0
    assert "qdev.toml or [tool.qdev], your user file, QDEV_SECTION__KEY" in text
