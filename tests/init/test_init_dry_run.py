"""`--dry-run` lists every file with its diff and writes nothing; other init options."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from qdev.ci.pipeline import without_unready_pipeline
from qdev.profile import source
from qdev.profile.render import render_profile
from qdev.project.existing import ExistingRepo
from qdev.project.settings import InitOptions, resolve_settings, variables
from tests.cli_runner import RunQdev

from .helpers import snapshot


def every_rendered_path(kind: str) -> list[str]:
    settings = resolve_settings(
        InitOptions(Path("demo"), kind=kind), Path("/x/demo"), ExistingRepo(), None
    )
    values = variables(settings)
    rendered = render_profile(settings.profile, kind, "github", values)
    return [f.path for f in without_unready_pipeline(rendered, settings, values)[0]]


def test_dry_run_of_a_new_repo_lists_every_file_with_its_content_and_writes_nothing(
    tmp_path: Path, qdev: RunQdev
) -> None:
    ran = qdev("init", tmp_path / "demo", "--kind", "service", "--dry-run", "--yes")
    assert ran.code == 0, ran.err
    assert not (tmp_path / "demo").exists()
    for path in [*every_rendered_path("service"), ".qdev/state.toml"]:
        assert f"create  {path}" in ran.out
        assert f"+++ b/{path}" in ran.out
    assert "+FROM python:3.11-slim AS build" in ran.out
    assert "nothing written (--dry-run)" in ran.out


def test_dry_run_on_an_existing_repo_shows_the_merge_diff_and_changes_nothing(
    tmp_path: Path, qdev: RunQdev
) -> None:
    repo = tmp_path / "demo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text('[project]\nname = "demo"  # ours\nversion = "1.0"\n')
    (repo / "README.md").write_text("ours\n")
    before = snapshot(repo)
    ran = qdev("init", repo, "--dry-run", "--yes")
    assert ran.code == 0, ran.err
    assert snapshot(repo) == before
    assert "merge  pyproject.toml" in ran.out
    assert "+[tool.mypy]" in ran.out
    assert "keep  README.md" in ran.out
    assert "-ours" in ran.out


def test_a_team_profile_folder_is_used_and_named_by_a_relative_path(
    tmp_path: Path, qdev: RunQdev
) -> None:
    profile = tmp_path / "team-profile"
    shutil.copytree(source.builtin_path(), profile)
    builtin = (profile / "profile.toml").read_text().replace('name = "default"', 'name = "rates"')
    (profile / "profile.toml").write_text(
        builtin.replace('version = "1.0.0"', 'version = "3.1.0"') + 'desk = "rates"\n'
    )
    (profile / "templates" / "common" / "OWNERS.tmpl").write_text(
        "{{ desk }} desk owns {{ name }}\n"
    )
    ran = qdev(
        "init", tmp_path / "repos" / "demo", "--profile", profile, "--yes", "--no-env", "--no-git"
    )
    assert ran.code == 0, ran.err
    repo = tmp_path / "repos" / "demo"
    assert (repo / "OWNERS").read_text() == "rates desk owns demo\n"
    assert tomllib.loads((repo / "qdev.toml").read_text())["extends"] == {
        "path": "../../team-profile"
    }
    state = tomllib.loads((repo / ".qdev" / "state.toml").read_text())
    assert (state["profile"], state["version"]) == ("rates", "3.1.0")
    assert state["source"] == "../../team-profile"
    again = qdev("init", repo, "--yes", "--no-env", "--no-git")
    assert again.code == 0, again.err
    assert "wrote 0 files" in again.out
    assert "profile rates 3.1.0" in again.out


def test_python_versions_from_the_command_line_set_the_floor_and_the_ci_matrix(
    tmp_path: Path, qdev: RunQdev, ci_ready_profile: Path
) -> None:
    ran = qdev(
        "init",
        tmp_path / "demo",
        "--python",
        "3.13,3.12",
        "--ci",
        "gitlab",
        "--profile",
        ci_ready_profile,
        "--yes",
        "--no-env",
        "--no-git",
    )
    assert ran.code == 0, ran.err
    repo = tmp_path / "demo"
    assert (repo / ".python-version").read_text() == "3.12\n"
    assert tomllib.loads((repo / "qdev.toml").read_text())["project"]["python"] == ["3.12", "3.13"]
    assert 'PYTHON: ["3.12", "3.13"]' in (repo / ".gitlab-ci.yml").read_text()
    assert 'target-version = "py312"' in (repo / "pyproject.toml").read_text()


def test_when_the_environment_cannot_be_made_the_files_stay_and_qdev_env_is_suggested(
    tmp_path: Path, qdev: RunQdev, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QDEV_UV", str(tmp_path / "no-uv"))
    ran = qdev("init", tmp_path / "demo", "--yes")
    assert ran.code == 3
    assert "uv is not at" in ran.err
    assert "once fixed, run `qdev env` in" in ran.err
    assert (tmp_path / "demo" / "pyproject.toml").is_file()
    assert (tmp_path / "demo" / ".git").is_dir()


def test_json_output_lists_every_file_with_its_action(tmp_path: Path, qdev: RunQdev) -> None:
    import json

    ran = qdev("init", tmp_path / "demo", "--json", "--dry-run", "--kind", "research")
    assert ran.code == 0, ran.err
    report = json.loads(ran.out)
    assert (report["name"], report["package"], report["kind"]) == ("demo", "demo", "research")
    actions = {item["path"]: item["action"] for item in report["files"]}
    assert actions["notebooks/explore.ipynb"] == "create"
    assert actions[".qdev/state.toml"] == "create"
    assert all(item["diff"] for item in report["files"])
    assert not (tmp_path / "demo").exists()
