"""Fixtures for `qdev sync`: a team profile repository with tags v1.0.0, v2.0.0 and v3.0.0,
and a repo made from v1.0.0 with `qdev init`, each built once per test session (under a file
lock shared by the xdist workers) and copied by the tests.

Call `team_profile()` and `made_repo()` from a test, not a fixture, so the test's private git
identity and homes apply. Each test has its own empty profile cache (XDG_CACHE_HOME).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.profile.source import builtin_path

from .helpers import edit

GIT_ID = ["-c", "user.name=Profile Keeper", "-c", "user.email=keeper@example.com"]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *GIT_ID, *args], cwd=cwd, check=True, capture_output=True)


def _release(profile: Path, version: str) -> None:
    manifest = profile / "profile.toml"
    text = re.sub(
        r'^version = ".*"$', f'version = "{version}"', manifest.read_text(), count=1, flags=re.M
    )
    manifest.write_text(text)
    _git(profile, "add", "--all")
    _git(profile, "commit", "-q", "-m", f"Profile {version}")
    _git(profile, "tag", "-a", f"v{version}", "-m", f"Profile {version}")


def build_team_profile(folder: Path) -> None:
    """The built-in profile renamed "team", released three times with typical changes."""
    shutil.copytree(builtin_path(), folder)
    edit(folder / "profile.toml", 'name = "default"', 'name = "team"')
    edit(  # a team's profile says where CI installs qdev from, so the pipeline is rendered
        folder / "profile.toml",
        "[variables]\n",
        '[variables]\nqdev_requirement = "qdev==0.1.0"\n'
        'qdev_index = "https://pypi.example.internal/simple/"\n',
    )
    _git(folder, "init", "-q", "-b", "main")
    _release(folder, "1.0.0")
    templates = folder / "templates"
    pyproject = templates / "common" / "pyproject.toml.tmpl"
    edit(pyproject, '"ruff>=0.6"', '"ruff>=0.7"')
    edit(pyproject, "line-length = 100", "line-length = 110")
    edit(
        pyproject, "warn_unreachable = true", "warn_unreachable = true\nwarn_unused_ignores = true"
    )
    hooks = templates / "common" / ".pre-commit-config.yaml.tmpl"
    edit(hooks, "entry: qdev check --step lint\n", "entry: qdev check --step lint --fix\n")
    ci = templates / "ci-github" / ".github" / "workflows" / "ci.yml.tmpl"
    edit(ci, "enable-cache: true", "enable-cache: false")
    edit(
        ci, "    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    timeout-minutes: 30\n"
    )
    readme = templates / "common" / "README.md.tmpl"
    edit(readme, "qdev check      # format,", "qdev check      # every step: format,")
    with readme.open("a") as handle:
        handle.write("\nThe team's standard is described in the team wiki.\n")
    (templates / "common" / ".editorconfig.tmpl").write_text(
        "root = true\n\n[*]\nindent_style = space\n"
    )
    with (folder / "profile.toml").open("a") as handle:
        handle.write(
            '\n[[migrations]]\nversion = "2.0.0"\n'
            'note = "ruff 0.7 and 110-character lines: run qdev check format --fix."\n'
        )
    _release(folder, "2.0.0")
    (templates / "common" / "noxfile.py.tmpl").unlink()
    edit(
        folder / "profile.toml",
        "[variables]\n",
        '[variables]\nteam_channel = {default = "#quant-dev", help = "Chat channel for CI news"}\n',
    )
    with readme.open("a") as handle:
        handle.write("Questions go to {{ team_channel }}.\n")
    with (folder / "profile.toml").open("a") as handle:
        handle.write(
            '\n[[migrations]]\nversion = "3.0.0"\nnote = "noxfile.py is gone: use qdev check."\n'
        )
    _release(folder, "3.0.0")


@pytest.fixture(scope="session")
def team_profile(build_once: Callable[[str, Callable[[Path], None]], Path]) -> Callable[[], Path]:
    """`team_profile()`: the profile repository (tags v1.0.0, v2.0.0, v3.0.0). Never change it."""
    return lambda: build_once("team-profile", build_team_profile)


@pytest.fixture(scope="session")
def made_repo(
    build_once: Callable[[str, Callable[[Path], None]], Path], team_profile: Callable[[], Path]
) -> Callable[[], Path]:
    """`made_repo()`: a library repo made from the team profile at v1.0.0 by `qdev init`,
    committed, without its environment. Never change it: copy it with `copy_repo`."""

    def build(folder: Path) -> None:
        (folder / "demo").mkdir(parents=True)
        (folder / "demo" / "qdev.toml").write_text(
            f'[extends]\ngit = "{team_profile()}"\nref = "v1.0.0"\n'
        )
        argv = [sys.executable, "-m", "qdev", "init", "demo", "--kind", "library"]
        env = {**os.environ, "NO_COLOR": "1"}
        subprocess.run(
            [*argv, "--yes", "--no-env", "--commit"],
            cwd=folder,
            env=env,
            check=True,
            capture_output=True,
        )

    def make() -> Path:
        team_profile()  # outside made-sync's lock: the profile has its own
        return build_once("made-sync", build) / "demo"

    return make


def copy_repo(made: Path, target: Path) -> Path:
    shutil.copytree(made, target, symlinks=True)
    return target
