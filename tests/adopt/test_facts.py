"""`read_facts`: what each kind of existing repo is, read without touching it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qdev.errors import UsageError
from qdev.project.facts import VersionKind, installed_packages, read_facts, read_sources

from .helpers import tree_digest
from .synthetic import CASES, git, make

EXPECTED: dict[str, dict[str, Any]] = {
    "setuptools-scm-src": {
        "name": "scm-pkg",
        "backend": "setuptools.build_meta",
        "version_kind": VersionKind.SETUPTOOLS_SCM,
        "version_files": (),
        "requires_python": ">=3.9",
        "layout": "src",
        "packages": ("scm_pkg",),
        "package_paths": ("src/scm_pkg",),
        "test_paths": ("tests",),
        "default_branch": "main",
        "tag_format": "v{version}",
        "latest_tag": "v1.2.0",
        "tool_configs": {"pytest": "pyproject.toml"},
        "generated": ("src/scm_pkg/_version.py",),
        "migration": None,
        "ignored": {"uv.lock": ".gitignore:2:uv.lock"},
    },
    "versioneer-setup-py": {
        "name": "vpkg",
        "backend": None,
        "version_kind": VersionKind.VERSIONEER,
        "requires_python": ">=3.8",
        "layout": "flat",
        "packages": ("vpkg",),
        "package_paths": ("vpkg",),
        "test_paths": ("vpkg/tests",),
        "default_branch": "master",
        "tag_format": "{version}",
        "latest_tag": "0.5.5",
        "tool_configs": {"pytest": "setup.cfg", "flake8": "setup.cfg"},
        "generated": ("versioneer.py", "vpkg/_version.py"),
        "migration": "setup.py",
    },
    "poetry-dynamic": {
        "name": "alpaca-py",
        "backend": "poetry_dynamic_versioning.backend",
        "version_kind": VersionKind.POETRY_DYNAMIC,
        "requires_python": "^3.8.0",
        "layout": "flat",
        "packages": ("alpaca",),
        "package_paths": ("alpaca",),
        "test_paths": ("tests",),
        "default_branch": "master",
        "tag_format": "v{version}",
        "latest_tag": "v0.30.1",
        "migration": "poetry",
    },
    "hatch-vcs": {
        "name": "hv-pkg",
        "version_kind": VersionKind.HATCH_VCS,
        "layout": "src",
        "packages": ("hv_pkg",),
        "package_paths": ("src/hv_pkg",),
        "tag_format": "hv-pkg-v{version}",
        "latest_tag": "hv-pkg-v2.0.0",
        "tool_configs": {"ruff": "ruff.toml"},
        "generated": ("src/hv_pkg/_version.py",),
        "pre_commit": ".pre-commit-config.yaml",
        "ci_files": (".github/workflows/tests.yml",),
        "dev_group": "dev",
        "migration": None,
    },
    "flit-flat-module": {
        "name": "flitmod",
        "version_kind": VersionKind.MODULE,
        "version_value": "3.1.0",
        "version_files": ("flitmod.py",),
        "layout": "flat",
        "packages": ("flitmod",),
        "package_paths": ("flitmod.py",),
        "test_paths": (),
        "tag_format": "{version}",
        "latest_tag": "3.1.0",
        "tool_configs": {"mypy": "mypy.ini"},
    },
    "uv-build-setup-cfg-pytest": {
        "name": "uv-pkg",
        "backend": "uv_build",
        "version_kind": VersionKind.STATIC,
        "version_value": "0.4.1",
        "version_files": ("pyproject.toml", "src/uv_pkg/__init__.py"),
        "layout": "src",
        "packages": ("uv_pkg",),
        "test_paths": ("tests",),
        "tool_configs": {"pytest": "setup.cfg"},
        "dev_group": None,
    },
    "poetry-static": {
        "name": "rates",
        "version_kind": VersionKind.POETRY,
        "version_value": "1.4.0",
        "version_files": ("pyproject.toml", "rates/__init__.py"),
        "requires_python": ">=3.10,<4.0",
        "packages": ("rates",),
        "test_paths": ("rates/tests",),
        "tag_format": "{version}",
        "migration": "poetry",
    },
    "pdm-scm": {"version_kind": VersionKind.PDM_SCM, "layout": "src", "packages": ("pdm_pkg",)},
    "setuptools-attr": {
        "version_kind": VersionKind.MODULE,
        "version_value": "2.0.1",
        "version_files": ("src/attr_pkg/__init__.py",),
        "package_paths": ("src/attr_pkg",),
        "test_paths": ("src/attr_pkg/tests",),
        "tool_configs": {"coverage": ".coveragerc"},
        "dev_group": "tool.uv.dev-dependencies",
        "tag_format": None,
        "latest_tag": None,
    },
    "pipenv": {"migration": "pipenv", "layout": "none", "packages": ()},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_facts_of_each_kind_of_repo(case: str, tmp_path: Path) -> None:
    repo = make(case, tmp_path / case)
    facts = read_facts(repo)
    seen = {
        "name": facts.name,
        "backend": facts.backend,
        "version_kind": facts.version.kind,
        "version_value": facts.version.value,
        "version_files": facts.version.files,
        "requires_python": facts.requires_python,
        "layout": facts.layout,
        "packages": facts.packages,
        "package_paths": facts.package_paths,
        "test_paths": facts.test_paths,
        "default_branch": facts.default_branch,
        "tag_format": facts.tag_format,
        "latest_tag": facts.latest_tag,
        "tool_configs": facts.tool_configs,
        "generated": facts.generated,
        "migration": facts.migration,
        "pre_commit": facts.pre_commit,
        "ci_files": facts.ci_files,
        "dev_group": facts.dev_group,
        "ignored": facts.ignored,
    }
    expected = EXPECTED[case]
    assert {key: seen[key] for key in expected} == expected


def test_reading_facts_changes_nothing_on_disk_or_in_git(tmp_path: Path) -> None:
    repo = make("setuptools-scm-src", tmp_path / "repo")
    before = tree_digest(repo)
    read_facts(repo)
    assert tree_digest(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_a_tag_based_version_is_from_tags_and_has_no_file(tmp_path: Path) -> None:
    facts = read_facts(make("hatch-vcs", tmp_path / "repo"))
    assert facts.version.from_tags
    assert facts.version.dynamic
    assert facts.version.value is None


def test_a_static_version_is_neither_from_tags_nor_dynamic(tmp_path: Path) -> None:
    facts = read_facts(make("uv-build-setup-cfg-pytest", tmp_path / "repo"))
    assert not facts.version.from_tags
    assert not facts.version.dynamic


def test_without_git_the_git_facts_are_empty(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1.0"\n')
    facts = read_facts(tmp_path)
    assert (facts.git, facts.default_branch, facts.tag_format, facts.ignored) == (
        False,
        None,
        None,
        {},
    )
    assert facts.layout == "none"


def test_a_repo_on_a_branch_named_otherwise_reports_that_branch(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "trunk")
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-q", "-m", "a")
    assert read_facts(repo).default_branch == "trunk"


def test_origin_head_names_the_default_branch(tmp_path: Path) -> None:
    origin = make("setuptools-scm-src", tmp_path / "origin")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "switch", "-q", "-c", "feature")
    assert read_facts(clone).default_branch == "main"


def test_a_pyproject_that_is_not_toml_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\n")
    with pytest.raises(UsageError, match=r"pyproject.toml: is not valid TOML \(.*line 1"):
        read_facts(tmp_path)


def test_pytest_ini_wins_over_pyproject_as_pytest_itself_decides(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = '-q'\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = checks\n")
    (tmp_path / "checks").mkdir()
    facts = read_facts(tmp_path)
    assert facts.tool_configs["pytest"] == "pytest.ini"
    assert facts.test_paths == ("checks",)


def test_a_setup_py_with_src_and_literal_version(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text(
        "from setuptools import setup, find_packages\n"
        "setup(name='old-lib', version='4.13.0', package_dir={'': 'src'},\n"
        "      packages=find_packages('src'), python_requires='>=3.7')\n"
    )
    (tmp_path / "src" / "old_lib").mkdir(parents=True)
    (tmp_path / "src" / "old_lib" / "__init__.py").write_text("__version__ = '4.13.0'\n")
    facts = read_facts(tmp_path)
    assert facts.version.kind == VersionKind.SETUP_PY
    assert facts.version.value == "4.13.0"
    assert facts.version.files == ("setup.py", "src/old_lib/__init__.py")
    assert facts.package_paths == ("src/old_lib",)
    assert facts.migration == "setup.py"


def test_a_setup_py_naming_module_constants_in_its_setup_call(tmp_path: Path) -> None:
    """empyrical's setup.py: `DISTNAME = "empyrical"` ... `setup(name=DISTNAME, ...)`."""
    (tmp_path / "setup.py").write_text(
        "from setuptools import setup\n"
        "DISTNAME = 'old-lib'\nVERSION = '2.1.0'\nDISTNAME_DOC = DISTNAME + ' docs'\n"
        "setup(name=DISTNAME, version=VERSION, description=DISTNAME_DOC)\n"
    )
    facts = read_facts(tmp_path)
    assert facts.name == "old-lib"
    assert facts.version.kind == VersionKind.SETUP_PY
    assert facts.version.value == "2.1.0"


def test_a_setup_cfg_with_attr_version_and_src_package_dir(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text(
        "[metadata]\nname = cfg-lib\nversion = attr: cfg_lib.__version__\n\n"
        "[options]\npackage_dir =\n    =src\npackages = find:\npython_requires = >=3.9\n\n"
        "[options.packages.find]\nwhere = src\n\n[mypy]\nstrict = True\n"
    )
    (tmp_path / "src" / "cfg_lib").mkdir(parents=True)
    (tmp_path / "src" / "cfg_lib" / "__init__.py").write_text('__version__ = "0.9.2"\n')
    facts = read_facts(tmp_path)
    assert (facts.name, facts.requires_python) == ("cfg-lib", ">=3.9")
    assert facts.version.kind == VersionKind.MODULE
    assert facts.version.value == "0.9.2"
    assert facts.package_paths == ("src/cfg_lib",)
    assert facts.tool_configs == {"mypy": "setup.cfg"}


@pytest.mark.parametrize(
    ("pyproject", "installed"),
    [
        ('[build-system]\nrequires = ["hatchling"]\n', ("rates",)),
        ('[build-system]\nrequires = ["hatchling"]\n[tool.uv]\npackage = false\n', ()),
        ("[tool.uv]\npackage = true\n", ("rates",)),
        ("", ()),  # no build system: uv does not install the project
    ],
    ids=["packaged", "package-false", "package-true", "virtual"],
)
def test_installed_packages_are_the_sources_packages_only_when_uv_installs_the_project(
    tmp_path: Path, pyproject: str, installed: tuple[str, ...]
) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "rates"\n{pyproject}')
    (tmp_path / "src" / "rates").mkdir(parents=True)
    (tmp_path / "src" / "rates" / "__init__.py").write_text("")
    assert installed_packages(tmp_path) == installed
    assert read_sources(tmp_path).packages == ("rates",)
    assert read_facts(tmp_path).packages == ("rates",)
