"""Release reads the real history (issue 8, part 6): the version from wherever the repo keeps it,
the tags in the repo's own format, the next version above the last release, and every file that
holds the version bumped together. Synthetic repos of each version source and tag format (the
same ones adoption is tested on), real git and tags, and real `uv build` where it matters."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from .release_helpers import git, run_cli, synthetic_repo

pytestmark = pytest.mark.e2e


def repo_of(case: str, tmp_path: Path, *, commit: str = "fix: handle empty input") -> Path:
    root = synthetic_repo(case, tmp_path / case)
    (root / "CHANGES.txt").write_text("a change\n")
    git(root, "add", "CHANGES.txt")
    git(root, "commit", "-q", "-m", commit)
    return root


def planned(root: Path, *args: str) -> dict[str, object]:
    ran = run_cli(root, "release", "--dry-run", "--json", "--skip-checks", "--no-push", *args)
    assert ran.returncode == 0, ran.stderr
    plan: dict[str, object] = json.loads(ran.stdout)
    return plan


@pytest.mark.parametrize(
    ("case", "source", "previous", "tag", "files"),
    [
        ("setuptools-scm-src", "setuptools_scm", "v1.2.0", "v1.2.1", []),
        ("versioneer-setup-py", "versioneer", "0.5.5", "0.5.6", []),
        ("poetry-dynamic", "poetry-dynamic-versioning", "v0.30.1", "v0.30.2", []),
        ("hatch-vcs", "hatch-vcs", "hv-pkg-v2.0.0", "hv-pkg-v2.0.1", []),
        ("pdm-scm", "pdm-scm", "v0.1.0", "v0.1.1", []),
        ("flit-flat-module", "module", "3.1.0", "3.1.1", ["flitmod.py"]),
        (
            "uv-build-setup-cfg-pytest",
            "static",
            "v0.4.1",
            "v0.4.2",
            ["pyproject.toml", "src/uv_pkg/__init__.py"],
        ),
        ("poetry-static", "poetry", "1.4.0", "1.4.1", ["pyproject.toml", "rates/__init__.py"]),
        ("setuptools-attr", "module", None, "v2.0.2", ["src/attr_pkg/__init__.py"]),
    ],
)
def test_the_plan_follows_the_repos_version_source_and_tag_format(
    tmp_path: Path,
    case: str,
    source: str,
    previous: str | None,
    tag: str,
    files: list[str],
) -> None:
    plan = planned(repo_of(case, tmp_path))
    assert plan["version_source"] == source
    assert plan["previous_tag"] == previous
    assert plan["tag"] == tag
    assert plan["version_files"] == files
    if not files:
        assert "version" not in plan["steps"]  # type: ignore[operator]


def setup_py_repo(tmp_path: Path, *, module_version: str = "1.0.0") -> Path:
    root = tmp_path / "legacy"
    (root / "legacy").mkdir(parents=True)
    (root / "setup.py").write_text(
        "from setuptools import setup\n\n"
        'setup(\n    name="legacy",\n    version="1.0.0",\n    packages=["legacy"],\n)\n'
    )
    (root / "legacy" / "__init__.py").write_text(f'__version__ = "{module_version}"\n')
    git(tmp_path, "init", "-q", "-b", "master", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "legacy 1.0.0")
    git(root, "tag", "-a", "v1.0.0", "-m", "1.0.0")
    (root / "legacy" / "core.py").write_text("X = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: a core")
    return root


def wheel_version(root: Path, package: str) -> tuple[str, str]:
    """(metadata version, __version__) of the wheel the release left in dist/."""
    (wheel,) = (root / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        version = next(
            line.split(":", 1)[1].strip()
            for line in archive.read(meta).decode().splitlines()
            if line.startswith("Version:")
        )
        init = archive.read(f"{package}/__init__.py").decode()
    return version, init


def test_a_setup_py_release_bumps_setup_py_and_the_module_together(tmp_path: Path) -> None:
    root = setup_py_repo(tmp_path)
    plan = planned(root)
    assert (plan["version_source"], plan["tag"]) == ("setup.py", "v1.1.0")
    assert plan["version_files"] == ["setup.py", "legacy/__init__.py"]
    done = run_cli(root, "release", "--skip-checks", "--no-push")
    assert done.returncode == 0, done.stderr
    assert 'version="1.1.0"' in (root / "setup.py").read_text()
    meta, init = wheel_version(root, "legacy")
    assert meta == "1.1.0"
    assert '__version__ = "1.1.0"' in init
    assert git(root, "status", "--porcelain") == ""


def test_a_stale_hard_coded_version_is_bumped_with_the_rest(tmp_path: Path) -> None:
    root = setup_py_repo(tmp_path, module_version="0.9.0")
    plan = planned(root)
    assert plan["version_files"] == ["setup.py", "legacy/__init__.py"]
    done = run_cli(root, "release", "--skip-checks", "--no-push")
    assert done.returncode == 0, done.stderr
    assert (root / "legacy" / "__init__.py").read_text() == '__version__ = "1.1.0"\n'


def test_a_static_version_and_its_module_release_together_through_uv_build(
    tmp_path: Path,
) -> None:
    root = repo_of("uv-build-setup-cfg-pytest", tmp_path, commit="feat: a new signal")
    done = run_cli(root, "release", "--skip-checks", "--no-push", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tag"] == "v0.5.0"
    assert 'version = "0.5.0"' in (root / "pyproject.toml").read_text()
    meta, init = wheel_version(root, "uv_pkg")
    assert meta == "0.5.0"
    assert '__version__ = "0.5.0"' in init


def test_a_version_from_tags_writes_no_file_and_builds_the_tag(tmp_path: Path) -> None:
    root = repo_of("setuptools-scm-src", tmp_path)
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text() + "\n[tool.qdev.release]\nchangelog = ''\n"
    )
    git(root, "commit", "-q", "-am", "fix: no changelog file")
    head = git(root, "rev-parse", "HEAD")
    done = run_cli(root, "release", "--skip-checks", "--no-push", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["tag"], result["done"]) == ("v1.2.1", ["tag", "build", "verify"])
    assert git(root, "rev-parse", "HEAD") == head  # only the tag
    (wheel,) = (root / "dist").glob("*.whl")
    assert wheel.name.startswith("scm_pkg-1.2.1-")


def test_a_version_behind_the_last_tag_is_bumped_from_the_tag(tmp_path: Path) -> None:
    root = repo_of("uv-build-setup-cfg-pytest", tmp_path)
    git(root, "tag", "-a", "v0.9.0", "-m", "0.9.0", "HEAD~1")
    plan = planned(root)
    assert (plan["current"], plan["version"], plan["tag"]) == ("0.9.0", "0.9.1", "v0.9.1")
    assert any("below the last release v0.9.0" in note for note in plan["notes"])  # type: ignore[attr-defined]


def test_the_config_wins_over_the_repos_tags_and_branch_where_the_user_set_it(
    tmp_path: Path,
) -> None:
    root = repo_of("versioneer-setup-py", tmp_path)
    (root / "qdev.toml").write_text('[release]\ntag_format = "release-{version}"\n')
    git(root, "add", "qdev.toml")
    git(root, "commit", "-q", "-m", "fix: configure qdev")
    git(root, "tag", "-a", "release-0.6.0", "-m", "x")
    (root / "CHANGES.txt").write_text("more\n")
    git(root, "commit", "-q", "-am", "fix: more")
    plan = planned(root)
    assert (plan["previous_tag"], plan["tag"], plan["branch"]) == (
        "release-0.6.0",
        "release-0.6.1",
        "master",  # not set: the repo's own default branch
    )
    (root / "qdev.toml").write_text('[release]\nbranch = "main"\n')
    git(root, "commit", "-q", "-am", "fix: release from main")
    refused = run_cli(root, "release", "--dry-run", "--skip-checks", "--no-push")
    assert refused.returncode == 4
    assert "releases are cut from main" in refused.stderr


def test_a_team_profiles_defaults_do_not_override_the_repos_own_history(tmp_path: Path) -> None:
    root = repo_of("versioneer-setup-py", tmp_path)
    (root / "qdev.toml").write_text('[extends]\nname = "default"\n')  # main, v{version}
    git(root, "add", "qdev.toml")
    git(root, "commit", "-q", "-m", "fix: adopt the team profile")
    plan = planned(root)
    assert (plan["tag"], plan["branch"]) == ("0.5.6", "master")


def test_a_repo_whose_version_cannot_be_found_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "odd"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "odd"\ndynamic = ["version"]\n\n'
        '[build-system]\nrequires = ["uv_build"]\nbuild-backend = "uv_build"\n'
    )
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: odd")
    ran = run_cli(root, "release", "--dry-run", "--skip-checks", "--no-push")
    assert ran.returncode == 2
    assert "cannot tell where the version of odd lives" in ran.stderr
    assert "fix:" in ran.stderr
    assert subprocess.run(["git", "tag"], cwd=root, capture_output=True, text=True).stdout == ""
