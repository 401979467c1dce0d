"""Adopting each kind of existing repo keeps what works (issue 8, "Adoption keeps what works").

Fast: synthetic repos of tests/adopt/synthetic.py, `qdev init --yes --no-env`, assertions on the
files. The real projects of tests/corpus run the same through env, check and release.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qdev.__main__ import main

from .conftest import Adopted
from .helpers import tree_digest
from .synthetic import CASES, git, make

SharedAdopted = Callable[[str], Adopted]

ADOPTABLE = [
    "setuptools-scm-src",
    "hatch-vcs",
    "flit-flat-module",
    "uv-build-setup-cfg-pytest",
    "setuptools-attr",
    "pdm-scm",
]


def run_init(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["init", str(repo), "--yes", "--no-env", *args])
    out, err = capsys.readouterr()
    return code, out, err


def toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


@pytest.fixture(autouse=True)
def plain_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")


@pytest.mark.parametrize("case", ADOPTABLE)
def test_adoption_never_touches_build_system_project_or_the_code(
    case: str, shared_adopted: SharedAdopted
) -> None:
    adopted = shared_adopted(case)
    repo, out = adopted.repo, adopted.out
    before = CASES[case].files["pyproject.toml"]
    assert adopted.code == 0, adopted.err
    after = toml(repo / "pyproject.toml")
    original = tomllib.loads(before)
    assert after["project"] == original["project"]
    assert after.get("build-system") == original.get("build-system")
    text = (repo / "pyproject.toml").read_text()
    assert text.startswith(before.split("[tool.", 1)[0].split("[dependency-groups]", 1)[0])
    for line in before.splitlines():
        assert "#" not in line or line in text  # every comment kept
    assert "version" not in after["project"] or "version" in original["project"]
    assert not list(repo.rglob("core.py"))
    assert not list(repo.rglob("test_core.py"))
    assert "proof: " in out


@pytest.mark.parametrize("case", ADOPTABLE)
def test_running_adoption_twice_changes_nothing_the_second_time(
    case: str, capsys: pytest.CaptureFixture[str], shared_adopted: SharedAdopted
) -> None:
    adopted = shared_adopted(case).repo
    # A copy as deep as the adopted repo: qdev.toml names the profile folder by a relative path.
    repo = Path(tempfile.mkdtemp(prefix="twice-", dir=adopted.parent.parent)) / case
    shutil.copytree(adopted, repo, symlinks=True)
    git(repo, "add", "--all", "--force")
    git(repo, "commit", "-q", "-m", "adopt")
    before = tree_digest(repo)
    code, out, err = run_init(repo, capsys)
    assert code == 0, err
    assert tree_digest(repo) == before
    assert "wrote 0 files" in out


def test_release_branch_and_tag_format_come_from_the_repo(
    shared_adopted: SharedAdopted,
) -> None:
    repo = shared_adopted("hatch-vcs").repo
    config = toml(repo / "qdev.toml")
    assert config["release"] == {"branch": "main", "tag_format": "hv-pkg-v{version}"}
    assert config["project"]["python"] == ["3.10", "3.11", "3.12", "3.13"]
    assert config["check"]["secrets"]["allowlist"] == ["src/hv_pkg/_version.py"]
    assert "branches: [main]" in (repo / ".github/workflows/ci.yml").read_text()


def test_python_versions_ci_matrix_and_ruff_target_follow_requires_python(
    shared_adopted: SharedAdopted,
) -> None:
    repo = shared_adopted("setuptools-scm-src").repo
    pyproject = toml(repo / "pyproject.toml")
    assert "target-version" not in pyproject["tool"]["ruff"]  # ruff reads requires-python
    assert toml(repo / "qdev.toml")["project"]["python"][0] == "3.9"
    ci = (repo / ".github/workflows/ci.yml").read_text()
    assert 'python: ["3.9", "3.10", "3.11", "3.12", "3.13"]' in ci
    assert (repo / ".python-version").read_text() == "3.11\n"  # the team's oldest, installed


def test_typecheck_and_coverage_point_at_the_real_package(
    shared_adopted: SharedAdopted,
) -> None:
    repo = shared_adopted("setuptools-scm-src").repo
    tool = toml(repo / "pyproject.toml")["tool"]
    assert tool["mypy"]["files"] == ["src/scm_pkg", "tests"]
    assert tool["mypy"]["mypy_path"] == "src"
    assert "python_version" not in tool["mypy"]
    assert tool["coverage"]["run"]["source"] == ["scm_pkg"]
    assert tool["ruff"]["extend-exclude"] == ["src/scm_pkg/_version.py"]
    assert tool["mypy"]["exclude"] == ["^src/scm_pkg/_version\\.py$"]


def test_a_flat_module_is_typechecked_as_itself_without_a_src_path(
    shared_adopted: SharedAdopted,
) -> None:
    adopted = shared_adopted("flit-flat-module")
    repo, out = adopted.repo, adopted.out
    assert adopted.code == 0, adopted.err
    tool = toml(repo / "pyproject.toml")["tool"]
    assert "mypy" not in tool  # mypy reads mypy.ini
    assert "mypy reads mypy.ini" in out
    assert tool["coverage"]["run"]["source"] == ["flitmod"]


def test_pytest_settings_stay_in_setup_cfg_where_pytest_reads_them(
    shared_adopted: SharedAdopted,
) -> None:
    adopted = shared_adopted("uv-build-setup-cfg-pytest")
    repo, out = adopted.repo, adopted.out
    assert adopted.code == 0, adopted.err
    assert "pytest" not in toml(repo / "pyproject.toml")["tool"]
    assert "pytest reads setup.cfg" in out
    assert (repo / "setup.cfg").read_text() == CASES["uv-build-setup-cfg-pytest"].files["setup.cfg"]


def test_ruff_settings_go_to_ruff_toml_not_beside_it(
    shared_adopted: SharedAdopted,
) -> None:
    adopted = shared_adopted("hatch-vcs")
    repo, _out = adopted.repo, adopted.out
    assert adopted.code == 0, adopted.err
    assert "ruff" not in toml(repo / "pyproject.toml")["tool"]
    ruff = toml(repo / "ruff.toml")
    assert ruff == {"line-length": 88, "extend-exclude": ["src/hv_pkg/_version.py"]}


def test_dev_tools_join_the_existing_dev_group(
    shared_adopted: SharedAdopted,
) -> None:
    repo = shared_adopted("hatch-vcs").repo
    dev = toml(repo / "pyproject.toml")["dependency-groups"]["dev"]
    assert dev[0] == "pytest>=8"  # theirs, first and unchanged
    assert sum(item.startswith("pytest") and "cov" not in item for item in dev) == 1
    assert "ruff>=0.6" in dev


def test_dev_tools_join_a_legacy_uv_dev_dependencies_list(
    shared_adopted: SharedAdopted,
) -> None:
    repo = shared_adopted("setuptools-attr").repo
    pyproject = toml(repo / "pyproject.toml")
    assert "dependency-groups" not in pyproject
    assert "mypy>=1.11" in pyproject["tool"]["uv"]["dev-dependencies"]


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("poetry-dynamic", "a Poetry project"),
        ("poetry-static", "a Poetry project"),
        ("versioneer-setup-py", "a setup.py/setup.cfg project"),
        ("pipenv", "a Pipenv project"),
    ],
)
def test_a_project_uv_cannot_run_is_refused_naming_the_migration(
    case: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make(case, tmp_path / case)
    before = tree_digest(repo)
    code, _, err = run_init(repo, capsys)
    assert code == 2
    assert f"uv cannot run {says} (" in err
    assert "as it stands" in err
    assert "--migrate" in err or "no maintained converter" in err
    assert tree_digest(repo) == before


def test_dry_run_prints_the_facts_then_every_change_as_a_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make("setuptools-scm-src", tmp_path / "scm")
    before = tree_digest(repo)
    code, out, err = run_init(repo, capsys, "--dry-run")
    assert code == 0, err
    assert tree_digest(repo) == before
    facts_at = out.index("what qdev read from it")
    assert out.index("tag format  v{version} (latest v1.2.0)") > facts_at
    assert out.index("+++ b/pyproject.toml") > facts_at
    assert "uv.lock is hidden by .gitignore:2:uv.lock" in out


WHEEL_GLOB = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "rates"
version = "1.0"

[tool.hatch.build.targets.wheel]
include = ["/*.py"]
"""


def test_a_file_qdev_adds_that_the_build_would_ship_is_left_out_and_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The wheel takes every top-level .py file: qdev's noxfile.py would ship in it."""
    repo = tmp_path / "rates"
    repo.mkdir()
    (repo / "pyproject.toml").write_text(WHEEL_GLOB)
    (repo / "rates.py").write_text("RATE = 0.05\n")
    git(repo, "init", "-q")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "rates")
    code, out, err = run_init(repo, capsys)
    assert code == 0, err
    assert "noxfile.py not written: the build takes every such file into the wheel" in out
    assert not (repo / "noxfile.py").exists()
    assert "the same 1 .py files in both" in out


def test_a_wheel_that_loses_or_gains_other_files_refuses_the_adoption() -> None:
    from qdev.profile.apply import Plan
    from qdev.profile.state import ProfileState
    from qdev.project.proof import AdoptionRefused, ShipsNewFiles, Wheel, _compare

    plan = Plan(Path("."), (), ProfileState("default", "1", "builtin"))
    before = Wheel("rates-1.0-py3-none-any.whl", frozenset({"rates/__init__.py", "rates/a.py"}))
    after = Wheel("rates-1.0-py3-none-any.whl", frozenset({"rates/__init__.py", "b.py"}))
    with pytest.raises(AdoptionRefused, match=r"(?s)- rates/a.py.*\+ b.py") as refused:
        _compare(before, after, plan)
    assert not isinstance(refused.value, ShipsNewFiles)
    assert refused.value.exit_code == 4


@pytest.mark.e2e
def test_migrate_converts_a_poetry_project_with_migrate_to_uv_then_adopts_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make("poetry-static", tmp_path / "rates")
    code, out, err = run_init(repo, capsys, "--migrate")
    assert code == 0, err
    assert "migrated from poetry with migrate-to-uv==" in out
    pyproject = toml(repo / "pyproject.toml")
    assert pyproject["project"]["name"] == "rates"
    assert pyproject["project"]["version"] == "1.4.0"  # static in Poetry, static still
    assert (
        pyproject["tool"]["poetry"]
        == tomllib.loads(CASES["poetry-static"].files["pyproject.toml"])["tool"]["poetry"]
    )
    assert pyproject["build-system"]["build-backend"] == "poetry.core.masonry.api"
    assert "proof: rates-1.4.0-py3-none-any.whl built before and after" in out


@pytest.mark.e2e
def test_a_migration_that_would_make_a_tag_version_static_is_refused_and_undone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make("poetry-dynamic", tmp_path / "alpaca")
    before = tree_digest(repo)
    code, _, err = run_init(repo, capsys, "--migrate")
    assert code == 2, err
    assert "migrate-to-uv wrote a static version, but alpaca's version comes from tags" in err
    assert tree_digest(repo) == before
