"""Publishing to a real package index on loopback (pypiserver with htpasswd auth), installing
back from it, and a publish that fails after the push."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from qdev.release.journal import pending_warning

from .release_helpers import PackageIndex, ReleaseRepo, git, run_cli

pytestmark = pytest.mark.e2e


def configure_index(repo: ReleaseRepo, index: PackageIndex) -> None:
    repo.set_config(
        f'\n[tool.qdev.env]\nindexes = {{ team = "{index.simple}" }}\n',
        release='publish = true\npublish_index = "team"\n',
    )


def installed_version(tmp_path: Path, index: PackageIndex, requirement: str) -> str:
    venv = tmp_path / "consumer"
    subprocess.run(["uv", "venv", "-q", str(venv)], check=True)
    subprocess.run(
        [
            "uv",
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin/python"),
            "--index-url",
            index.simple,
            "--no-cache",
            requirement,
        ],
        check=True,
    )
    probe = subprocess.run(
        [str(venv / "bin/python"), "-c", "import demo_pkg; print(demo_pkg.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return probe.stdout.strip()


def test_release_publishes_to_the_index_and_installs_back(
    release_repo: ReleaseRepo, package_index: PackageIndex, tmp_path: Path
) -> None:
    configure_index(release_repo, package_index)
    done = run_cli(release_repo.root, "release", "--skip-checks", env=package_index.credentials())
    assert done.returncode == 0, done.stderr
    assert "publish" in done.stdout
    assert sorted(p.name for p in package_index.packages.iterdir()) == [
        "demo_pkg-0.2.0-py3-none-any.whl",
        "demo_pkg-0.2.0.tar.gz",
    ]
    assert installed_version(tmp_path, package_index, "demo-pkg==0.2.0") == "0.2.0"


def test_a_publish_failing_after_the_push_keeps_the_tag_and_continue_finishes(
    release_repo: ReleaseRepo, package_index: PackageIndex, tmp_path: Path
) -> None:
    configure_index(release_repo, package_index)
    wrong = {"UV_PUBLISH_USERNAME": "releaser", "UV_PUBLISH_PASSWORD": "wrong"}
    failed = run_cli(release_repo.root, "release", "--skip-checks", env=wrong)
    assert failed.returncode == 1
    assert "step publish failed" in failed.stderr
    assert "v0.2.0 is pushed and stays" in failed.stderr
    assert "remaining: publish" in failed.stderr
    assert "qdev release --continue" in failed.stderr
    assert git(release_repo.remote, "tag", "-l", "v0.2.0") == "v0.2.0"
    assert not list(package_index.packages.iterdir())
    assert pending_warning(release_repo.root) is not None

    finished = run_cli(release_repo.root, "release", "--continue", env=package_index.credentials())
    assert finished.returncode == 0, finished.stderr
    assert pending_warning(release_repo.root) is None
    assert installed_version(tmp_path, package_index, "demo-pkg") == "0.2.0"


def test_credentials_in_the_configured_url_are_refused(release_repo: ReleaseRepo) -> None:
    release_repo.set_config(
        release='publish = true\npublish_index = "https://me:pw@pypi.example/"\n'
    )
    refused = run_cli(release_repo.root, "release", "--skip-checks", "--dry-run")
    assert refused.returncode == 2
    assert "credentials" in refused.stderr
    assert "UV_PUBLISH_TOKEN" in refused.stderr
