"""Adopting real projects end to end: the acceptance of issue 8 on each corpus repo.

Per project (tests/corpus/projects.toml): `qdev init --yes` exits 0 or refuses with exit 2 and
the fix; the adopted pyproject.toml validates and keeps every [project], [build-system] and
[tool.poetry] value and comment; the wheel holds the same .py files (the proof); `qdev env` gave
a .venv where the package imports; `qdev check test typecheck` runs the repo's own tests and
type-checks the real package; a README edit commits through the hook; `qdev release --dry-run`
proposes a version above the latest tag, in the same tag format.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import tomlkit
from packaging.version import Version

from qdev.project.facts import read_facts
from qdev.project.tag_formats import parse_tag
from qdev.project.validate import problem

from .conftest import PROJECTS, AdoptedProject, git, qdev

pytestmark = pytest.mark.e2e

AdoptedFactory = Callable[[str], AdoptedProject]
ADOPTED = sorted(name for name, p in PROJECTS.items() if p.expect in ("adopt", "migrate"))
CHECKED = sorted(name for name in ADOPTED if PROJECTS[name].test_args)
"""Projects whose sdist ships their tests (alpaca-py's does not)."""


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_init_adopts_or_refuses_with_the_fix(name: str, adopted_project: AdoptedFactory) -> None:
    adopted = adopted_project(name)
    expect = adopted.project.expect
    if expect == "refuse":
        assert adopted.code == 2, adopted.err
        assert "uv cannot run" in adopted.err
        assert "fix: " in adopted.err
        assert not (adopted.repo / "qdev.toml").exists()
        return
    if expect == "env-broken":
        # The project's own dependency groups cannot be resolved as it stands (uv says why);
        # the adoption itself was proved and its files are kept, as documented.
        assert adopted.code == 2, adopted.err
        assert "uv sync failed" in adopted.err
        assert "files are written and kept" in adopted.err
    else:
        assert adopted.code == 0, adopted.err
        if expect == "migrate":
            assert "migrated from poetry with migrate-to-uv" in adopted.out
        assert re.search(
            r"proof: \S+\.whl built before and after; the same \d+ .py files", adopted.out
        )
    text = (adopted.repo / "pyproject.toml").read_text()
    assert problem(text) is None
    _assert_kept(adopted.pristine / "pyproject.toml", text, migrated=expect == "migrate")


def _assert_kept(pristine: Path, text: str, *, migrated: bool) -> None:
    before = pristine.read_text()
    old, new = tomllib.loads(before), tomllib.loads(text)
    for table in ("build-system",) if migrated else ("project", "build-system"):
        assert new.get(table) == old.get(table), table
    assert new.get("tool", {}).get("poetry") == old.get("tool", {}).get("poetry")
    for line in before.splitlines():
        if line.lstrip().startswith("#"):
            assert line in text, f"comment lost: {line}"


@pytest.mark.parametrize("name", ADOPTED)
def test_the_config_takes_branch_tag_format_and_pythons_from_the_repo(
    name: str, adopted_project: AdoptedFactory
) -> None:
    adopted = adopted_project(name)
    config = tomllib.loads((adopted.repo / "qdev.toml").read_text())
    assert config["release"]["branch"] == adopted.project.branch
    assert config["release"]["tag_format"] == adopted.project.tag_format
    facts = read_facts(adopted.repo)
    pythons = config["project"]["python"]
    from qdev.project.requires_python import supported_minors

    assert pythons == supported_minors(facts.requires_python, newest=pythons[-1])
    if "coverage" not in read_facts(adopted.pristine).tool_configs:
        coverage = tomllib.loads((adopted.repo / "pyproject.toml").read_text())["tool"]["coverage"]
        assert coverage["run"]["source"] == list(facts.packages)  # never a guessed name
    if not (adopted.pristine / ".github" / "workflows" / "ci.yml").exists():
        ci = (adopted.repo / ".github" / "workflows" / "ci.yml").read_text()
        assert "python: [" + ", ".join(f'"{v}"' for v in pythons) + "]" in ci


@pytest.mark.parametrize("name", ADOPTED)
def test_env_gives_a_venv_where_the_package_imports(
    name: str, adopted_project: AdoptedFactory
) -> None:
    adopted = adopted_project(name)
    facts = read_facts(adopted.repo)
    python = adopted.repo / ".venv" / "bin" / "python"
    code = "; ".join(f"import {package}" for package in facts.packages)
    from qdev.tools import process

    imported = process.run([str(python), "-I", "-c", code], cwd=adopted.repo / ".venv")
    assert imported.ok, imported.output


@pytest.mark.parametrize("name", CHECKED)
def test_check_runs_the_repos_own_tests_and_typechecks_the_real_package(
    name: str, adopted_project: AdoptedFactory
) -> None:
    adopted = adopted_project(name)
    with adopted.exclusive() as repo:
        _trim_tests(repo, list(adopted.project.test_args))
        ran = qdev(repo, "check", "test", "typecheck", "--format", "json", "--no-cache")
        git(repo, "checkout", "--", "qdev.toml")
    assert ran.returncode in (0, 1), ran.output
    steps = {step["id"]: step for step in json.loads(ran.stdout)["steps"]}
    test, typecheck = steps["test"], steps["typecheck"]
    assert re.search(r"\d+ passed", test["output"]), test["summary"]
    assert "exited with" not in test["summary"], test["output"][-2000:]
    assert "exited with" not in typecheck["summary"], typecheck["output"][-2000:]
    facts = read_facts(adopted.repo)
    checked = [*facts.package_paths, *facts.test_paths]
    for finding in typecheck["findings"]:
        assert any(finding["path"].startswith(path) for path in checked), finding
    command = " ".join(typecheck["command"])
    assert "src" not in command.split() or facts.layout == "src"
    if not facts.tool_configs.get("mypy"):
        mypy = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["mypy"]
        assert mypy["files"][: len(facts.package_paths)] == list(facts.package_paths)


def _trim_tests(repo: Path, args: list[str]) -> None:
    """The corpus runs a part of each repo's own tests: CI has 2 cores for the whole suite."""
    path = repo / "qdev.toml"
    doc = tomlkit.parse(path.read_text())
    check = doc.setdefault("check", tomlkit.table(is_super_table=True))
    check["test"] = {"args": args}
    path.write_text(tomlkit.dumps(doc))


@pytest.mark.parametrize("name", ADOPTED)
def test_a_readme_edit_commits_through_the_hook(name: str, adopted_project: AdoptedFactory) -> None:
    adopted = adopted_project(name)
    with adopted.exclusive() as repo:
        readme = next(p for p in sorted(repo.glob("README*")) if p.is_file())
        original = readme.read_text()
        readme.write_text(original + "\nAdopted by the team's standard.\n")
        committed = git(repo, "commit", "-q", "-m", "docs: say the repo is adopted", readme.name)
        if not committed.ok:
            git(repo, "checkout", "--", readme.name)
    assert committed.ok, committed.output[-3000:]


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_release_dry_run_proposes_a_version_above_the_latest_tag_in_its_format(
    name: str, adopted_project: AdoptedFactory
) -> None:
    """After the tag: one `fix:` commit (the corpus) and the adoption's `chore:` commit, if any.

    Every corpus repo, adopted or not: a repo whose adoption was refused (it needs a migration)
    still releases as it stands, from its own version source and tags."""
    adopted = adopted_project(name)
    with adopted.exclusive() as repo:
        ran = qdev(repo, "release", "--dry-run", "--json", "--skip-checks", "--yes")
    assert ran.returncode == 0, ran.output[-3000:]
    plan = json.loads(ran.stdout)
    tag = parse_tag(plan["tag"])
    assert tag is not None
    assert tag.tag_format == adopted.project.tag_format
    assert tag.version > Version(adopted.project.version)
    assert plan["previous_tag"] == adopted.project.tag
    version = read_facts(adopted.repo).version
    if version.from_tags:
        assert plan["files"] == ["CHANGELOG.md"]  # the tag is the version: no file to bump
    else:
        assert set(version.files) <= set(plan["files"]), "every file holding the version"
