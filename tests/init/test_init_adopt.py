"""Adopting a repo: pyproject.toml merged with every comment kept, other files left alone."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from qdev.tools import process
from tests.cli_runner import RunQdev

from .helpers import MadeRepo, copy_repo, snapshot

HAND_WRITTEN = """\
# Pricing library of the rates desk. Keep the tables in this order, the deploy job reads them.
[project]
name = "rates-pricer"   # the name on the internal index
version = "2.3.1"
description = "Curves and swaps"
requires-python = ">=3.11"
dependencies = [
    "numpy>=1.26",  # vectorised maths
]

[tool.desk]
# custom table read by our deploy scripts
owner = "rates"
regions = ["LDN", "NYC"]  # trading hours follow these

[tool.ruff]
line-length = 120  # wider screens on the desk

[[tool.desk.alerts]]
channel = "#rates-dev"
"""

README = "# rates-pricer\n\nOur own words about the pricer.\n"


def git(repo: Path, *args: str) -> str:
    result = process.run(["git", *args], cwd=repo)
    assert result.ok, result.output
    return result.stdout


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    repo = tmp_path / "pricer"
    (repo / "src" / "rates_pricer").mkdir(parents=True)
    (repo / "pyproject.toml").write_text(HAND_WRITTEN)
    (repo / "README.md").write_text(README)
    (repo / "src" / "rates_pricer" / "__init__.py").write_text('"""Curves."""\n')
    git(repo, "init", "-q")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "our own start")
    return repo


def test_adoption_keeps_every_comment_and_value_of_a_hand_written_pyproject(
    existing: Path, qdev: RunQdev
) -> None:
    ran = qdev("init", existing, "--yes", "--no-env")
    assert ran.code == 0, ran.err
    text = (existing / "pyproject.toml").read_text()
    for line in HAND_WRITTEN.splitlines():
        if "#" in line:
            assert line in text
    merged, original = tomllib.loads(text), tomllib.loads(HAND_WRITTEN)
    assert merged["tool"]["desk"] == original["tool"]["desk"]
    assert merged["tool"]["ruff"]["line-length"] == 120
    for key, value in original["project"].items():
        assert merged["project"][key] == value
    assert merged["tool"]["mypy"]["strict"] is True
    assert "pytest" in " ".join(merged["dependency-groups"]["dev"])
    assert "build-system" not in merged  # how (whether) it is built stays the project's choice
    assert "merge  pyproject.toml" in ran.out
    assert "keeps your" in ran.out


def test_adoption_takes_the_name_from_pyproject_and_leaves_the_code_alone(
    existing: Path, qdev: RunQdev
) -> None:
    ran = qdev("init", existing, "--yes", "--no-env")
    assert ran.code == 0, ran.err
    assert 'name = "rates-pricer"' in (existing / "qdev.toml").read_text()
    assert (existing / "src" / "rates_pricer" / "__init__.py").read_text() == '"""Curves."""\n'
    assert not (existing / "src" / "rates_pricer" / "core.py").exists()
    assert not (existing / "tests").exists()
    assert (existing / "noxfile.py").is_file()
    assert not (existing / ".github").exists()  # the built-in profile names no qdev index
    assert "no CI pipeline written" in ran.out


def test_a_differing_readme_is_left_untouched_and_reported_with_a_diff(
    existing: Path, qdev: RunQdev
) -> None:
    ran = qdev("init", existing, "--yes", "--no-env")
    assert ran.code == 0, ran.err
    assert (existing / "README.md").read_text() == README
    assert "keep  README.md" in ran.out
    assert "-Our own words about the pricer." in ran.out
    assert "kept 1 of yours that differs" in ran.out
    assert not list(existing.glob("*.qdev-backup"))


def test_running_init_twice_changes_nothing_the_second_time(existing: Path, qdev: RunQdev) -> None:
    assert qdev("init", existing, "--yes", "--no-env").code == 0
    git(existing, "add", "--all")
    git(existing, "commit", "-q", "-m", "adopt the team standard")
    before = snapshot(existing)
    again = qdev("init", existing, "--yes", "--no-env")
    assert again.code == 0, again.err
    assert snapshot(existing) == before
    assert git(existing, "status", "--porcelain") == ""
    assert "wrote 0 files" in again.out


def test_running_init_twice_on_a_made_repo_with_its_environment_changes_nothing(
    made_repo: MadeRepo, tmp_path: Path, qdev: RunQdev
) -> None:
    repo = copy_repo(made_repo("library"), tmp_path / "demo")
    first = qdev("init", repo, "--yes", "--commit")
    assert first.code == 0, first.err
    assert "committed" in first.out
    tracked = git(repo, "ls-files").split()
    files = {path: (repo / path).read_bytes() for path in tracked}
    second = qdev("init", repo, "--yes")
    assert second.code == 0, second.err
    assert git(repo, "status", "--porcelain") == ""
    assert {path: (repo / path).read_bytes() for path in tracked} == files
    assert "uv.lock" in tracked


def test_force_replaces_a_differing_file_and_keeps_a_backup(existing: Path, qdev: RunQdev) -> None:
    ran = qdev("init", existing, "--yes", "--no-env", "--force")
    assert ran.code == 0, ran.err
    assert (existing / "README.md.qdev-backup").read_text() == README
    assert "rates-pricer" in (existing / "README.md").read_text()
    assert "A library repository" in (existing / "README.md").read_text()
    merged = tomllib.loads((existing / "pyproject.toml").read_text())
    assert merged["tool"]["ruff"]["line-length"] == 100
    assert merged["tool"]["desk"]["owner"] == "rates"
    assert (existing / "pyproject.toml.qdev-backup").read_text() == HAND_WRITTEN


def test_adoption_follows_the_repos_own_qdev_toml(
    tmp_path: Path, qdev: RunQdev, ci_ready_profile: Path
) -> None:
    repo = tmp_path / "signals"
    repo.mkdir()
    (repo / "qdev.toml").write_text(
        '# our policy\n[project]\nname = "fx-signals"\nkind = "research"\npython = ["3.12"]\n\n'
        '[ci]\nprovider = "gitlab"\n'
    )
    ran = qdev("init", repo, "--profile", ci_ready_profile, "--yes", "--no-env", "--no-git")
    assert ran.code == 0, ran.err
    assert (repo / "notebooks" / "explore.ipynb").is_file()
    assert (repo / ".gitlab-ci.yml").is_file()
    assert not (repo / ".github").exists()
    assert 'PYTHON: ["3.12"]' in (repo / ".gitlab-ci.yml").read_text()
    assert (repo / "qdev.toml").read_text().startswith("# our policy\n")
    assert 'requires-python = ">=3.12"' in (repo / "pyproject.toml").read_text()
    assert not (repo / ".git").exists()


def test_in_a_subfolder_of_a_monorepo_it_says_so_and_works_there(
    tmp_path: Path, qdev: RunQdev
) -> None:
    mono = tmp_path / "mono"
    mono.mkdir()
    git(mono, "init", "-q")
    ran = qdev("init", mono / "libs" / "curves", "--yes")
    assert ran.code == 0, ran.err
    assert f"inside the existing repository at {mono}" in ran.out
    assert not (mono / "libs" / "curves" / ".git").exists()
    assert (mono / "libs" / "curves" / ".venv").is_dir()
    assert "hooks of" in ran.out
    assert not (mono / ".git" / "hooks" / "pre-commit").exists()


def test_a_repo_configured_in_tool_qdev_gets_the_profile_config_there_not_a_qdev_toml(
    tmp_path: Path, qdev: RunQdev
) -> None:
    repo = tmp_path / "feed"
    repo.mkdir()
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "md-feed"\nversion = "0.3.0"\n\n'
        '[tool.qdev]  # our policy\nproject = { kind = "service", python = ["3.11"] }\n'
    )
    ran = qdev("init", repo, "--yes", "--no-env", "--no-git")
    assert ran.code == 0, ran.err
    assert not (repo / "qdev.toml").exists()
    assert (repo / "Dockerfile").is_file()
    text = (repo / "pyproject.toml").read_text()
    assert "[tool.qdev]  # our policy" in text
    config = tomllib.loads(text)["tool"]["qdev"]
    assert config["extends"] == {"name": "default"}
    assert config["project"]["python"] == ["3.11"]
    from qdev.config.loader import load_config

    loaded = load_config(repo)
    assert loaded.config_file == repo / "pyproject.toml"
    assert loaded.config.project.kind == "service"
    again = qdev("init", repo, "--yes", "--no-env", "--no-git")
    assert "wrote 0 files" in again.out


def test_commit_with_nothing_new_to_commit_is_not_an_error(tmp_path: Path, qdev: RunQdev) -> None:
    repo = tmp_path / "demo"
    first = qdev("init", repo, "--yes", "--no-env", "--commit")
    assert first.code == 0, first.err
    assert "committed" in first.out
    (repo / "scratch.txt").write_text("not ours to commit\n")
    second = qdev("init", repo, "--yes", "--no-env", "--commit")
    assert second.code == 0, second.err
    assert "nothing to commit" in second.out
    assert git(repo, "status", "--porcelain") == "?? scratch.txt\n"


def test_an_adopted_project_keeps_its_own_build_backend(tmp_path: Path, qdev: RunQdev) -> None:
    repo = tmp_path / "legacy"
    repo.mkdir()
    original = (
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "legacy"\nversion = "1.0"\n'
    )
    (repo / "pyproject.toml").write_text(original)
    ran = qdev("init", repo, "--yes", "--no-env", "--no-git")
    assert ran.code == 0, ran.err
    text = (repo / "pyproject.toml").read_text()
    assert text.startswith(original)  # [build-system] and [project] byte for byte
    assert "build-system" not in ran.out.split("pyproject.toml", 1)[1].splitlines()[0]
