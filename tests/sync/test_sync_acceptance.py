"""v1 -> v2 with local edits on both sides: clean where they do not overlap, git's own conflict
state where they do, and no local edit ever lost."""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.cli_runner import RunQdev

from .conftest import copy_repo
from .helpers import commit_all, edit, git

pytestmark = pytest.mark.e2e


def local_edits(repo: Path) -> None:
    """The repo's own edits to the four merged kinds of file, committed."""
    edit(repo / "pyproject.toml", "dependencies = []", 'dependencies = ["numpy>=2"]  # ours')
    edit(repo / "pyproject.toml", '  "mypy>=1.11",\n', '  "mypy>=1.11",\n  "hypothesis>=6",\n')
    hooks = repo / ".pre-commit-config.yaml"
    edit(hooks, "    hooks:\n", "    hooks:\n      # our own hooks go last\n")
    with hooks.open("a") as handle:
        handle.write(
            "      - id: docs\n        name: docs\n        entry: ./build-docs\n"
            "        language: system\n"
        )
    ci = repo / ".github" / "workflows" / "ci.yml"
    edit(ci, "  pull_request:\n", "  pull_request:\n  workflow_dispatch:\n")
    edit(repo / "README.md", "## Working on it", "Owned by the rates desk.\n\n## Working on it")
    commit_all(repo, "Our own edits")


def test_non_overlapping_edits_on_both_sides_merge_cleanly_and_keep_every_local_edit(
    made_repo: Callable[[], Path], tmp_path: Path, qdev: RunQdev
) -> None:
    repo = copy_repo(made_repo(), tmp_path / "demo")
    local_edits(repo)

    ran = qdev("sync", "--ref", "v2.0.0", cwd=repo)

    assert ran.code == 0, ran.out + ran.err
    pyproject = (repo / "pyproject.toml").read_text()
    data = tomllib.loads(pyproject)
    assert data["project"]["dependencies"] == ["numpy>=2"]
    assert "# ours" in pyproject
    assert data["dependency-groups"]["dev"][:3] == ["ruff>=0.7", "mypy>=1.11", "hypothesis>=6"]
    assert data["tool"]["ruff"]["line-length"] == 110
    assert data["tool"]["mypy"]["warn_unused_ignores"] is True
    hooks_text = (repo / ".pre-commit-config.yaml").read_text()
    hooks = YAML(typ="safe").load(hooks_text)["repos"][0]["hooks"]
    assert [h["id"] for h in hooks] == [
        "ruff-format", "ruff-check", "secrets", "qdev-sync-conflicts", "docs",
    ]  # fmt: skip
    assert hooks[1]["entry"] == "qdev check --step lint --fix"
    assert "# our own hooks go last" in hooks_text
    ci = YAML(typ="safe").load((repo / ".github" / "workflows" / "ci.yml").read_text())
    assert "workflow_dispatch" in ci["on"]
    assert ci["jobs"]["check"]["timeout-minutes"] == 30
    readme = (repo / "README.md").read_text()
    assert "Owned by the rates desk." in readme
    assert "# every step: format" in readme
    assert "team wiki" in readme
    assert (repo / ".editorconfig").is_file()
    assert 'ref = "v2.0.0"' in (repo / "qdev.toml").read_text()
    assert "ruff 0.7 and 110-character lines" in ran.out
    assert git(repo, "ls-files", "-u") == ""
    assert qdev("sync", "--check", cwd=repo).code == 0


def test_overlapping_edits_give_key_named_conflicts_and_diff3_markers_in_gits_conflict_state(
    made_repo: Callable[[], Path], tmp_path: Path, qdev: RunQdev
) -> None:
    repo = copy_repo(made_repo(), tmp_path / "demo")
    local_edits(repo)
    edit(repo / "pyproject.toml", "line-length = 100", "line-length = 120")
    hooks = repo / ".pre-commit-config.yaml"
    edit(hooks, "entry: qdev check --step lint\n", "entry: qdev check --step lint -v\n")
    edit(repo / ".github" / "workflows" / "ci.yml", "enable-cache: true", "enable-cache: auto")
    edit(repo / "README.md", "qdev check      # format,", "qdev check      # all of:")
    commit_all(repo, "Edits where the profile edits too")

    ran = qdev("sync", "--ref", "v2.0.0", cwd=repo)

    assert ran.code == 1, ran.out + ran.err
    assert "tool.ruff.line-length" in ran.out
    assert "repos[repo=local].hooks[id=ruff-check].entry" in ran.out
    assert "jobs.check.steps[uses=astral-sh/setup-uv@v6].with.enable-cache" in ran.out
    conflicted = {"pyproject.toml", ".pre-commit-config.yaml", ".github/workflows/ci.yml"}
    conflicted.add("README.md")
    status = git(repo, "status", "--porcelain")
    assert {line[3:] for line in status.splitlines() if line.startswith("UU")} == conflicted
    stages = git(repo, "ls-files", "-u", "--", "pyproject.toml").splitlines()
    assert [line.split()[2] for line in stages] == ["1", "2", "3"]
    assert "line-length = 120" in git(repo, "show", ":2:pyproject.toml")
    assert "line-length = 110" in git(repo, "show", ":3:pyproject.toml")
    pyproject = (repo / "pyproject.toml").read_text()
    assert "<<<<<<< this repo\nline-length = 120\n||||||| profile 1.0.0 (v1.0.0)\n" in pyproject
    assert "=======\nline-length = 110\n>>>>>>> profile 2.0.0 (v2.0.0)\n" in pyproject
    readme = (repo / "README.md").read_text()
    assert "<<<<<<< this repo\nqdev check      # all of:" in readme
    assert "Owned by the rates desk." in readme  # the non-overlapping edit merged anyway
    # nothing of ours is lost: every local edit is still in the files
    assert '"numpy>=2"' in pyproject
    assert "entry: qdev check --step lint -v" in hooks.read_text()
    assert "enable-cache: auto" in (repo / ".github" / "workflows" / "ci.yml").read_text()
    # git refuses to commit until each is resolved, and sync --check names them
    refused = subprocess.run(["git", "commit", "-m", "x"], cwd=repo, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "unmerged files" in refused.stderr + refused.stdout
    check = qdev("sync", "--check", cwd=repo)
    assert check.code == 1
    assert "unresolved conflict  pyproject.toml" in check.out
