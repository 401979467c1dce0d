"""The documentation site builds with `mkdocs build --strict`, and strict means strict."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from qdev.tools import process

ROOT = Path(__file__).resolve().parents[2]


def build(project: Path, site: Path) -> process.ProcessResult:
    return process.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        env=process.child_env({"NO_MKDOCS_2_WARNING": "1"}),
        timeout=300,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    built = build(ROOT, folder)
    assert built.ok, built.output
    return folder


def test_the_site_builds_strictly_with_every_page_of_the_nav(site: Path) -> None:
    for page in (
        "getting-started",
        "guides/adopt",
        "guides/team-profile",
        "guides/ci",
        "guides/releases",
        "adopt",
        "profiles",
        "check",
        "release",
        "doctor",
        "ci",
        "configuration",
        "exit-codes",
        "troubleshooting",
    ):
        assert (site / page / "index.html").is_file(), page


def test_the_generated_references_are_in_the_site(site: Path) -> None:
    from qdev.cli.app import COMMANDS

    cli = (site / "reference" / "cli" / "index.html").read_text()
    for name in COMMANDS:
        assert f"qdev {name}" in cli, name
    config = (site / "reference" / "config" / "index.html").read_text()
    assert "[check.custom.NAME]" in config
    assert "publish_index" in config


def copy_project(target: Path) -> Path:
    target.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", target / "docs")
    return target


def test_a_broken_link_or_a_page_left_out_of_the_nav_fails_the_build(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    page = project / "docs" / "troubleshooting.md"
    page.write_text(page.read_text() + "\nSee [the missing page](nowhere.md).\n")
    (project / "docs" / "orphan.md").write_text("# Nobody links here\n")
    built = build(project, tmp_path / "site")
    assert not built.ok
    assert "nowhere.md" in built.output
    assert "orphan.md" in built.output
