"""Fault suite, group "what qdev says": a dry run right after `qdev init` shows the plan and
every refusal (also as JSON), and credentials in URLs never reach the output."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest

from qdev.cli.app import run

from .faults import start_cli, wait_for
from .release_helpers import INDEX_PASSWORD, PackageIndex, ReleaseRepo, git, run_cli, snapshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def fresh_repo(tmp_path: Path) -> Path:
    """A repo as `qdev init X --kind library` leaves it: nothing committed, no remote."""
    root = tmp_path / "x"
    made = run_cli(tmp_path, "init", "x", "--kind", "library", "--yes", "--no-env")
    assert made.returncode == 0, made.stderr
    return root


def test_a_dry_run_right_after_init_shows_the_plan_and_every_refusal(fresh_repo: Path) -> None:
    shown = run_cli(fresh_repo, "release", "--dry-run")
    assert shown.returncode == 4, shown.stderr
    assert "x 0.1.0 ->" in shown.stdout
    assert "steps:" in shown.stdout
    assert "would refuse (3)" in shown.stdout
    err = shown.stderr
    assert "this release would be refused, for 3 reasons" in err
    for reason in ("no commits yet", "not clean", "no remote"):
        assert reason in err
    assert err.count("fix:") == 3


def test_a_dry_run_json_prints_the_refusals_as_json(fresh_repo: Path) -> None:
    shown = run_cli(fresh_repo, "release", "--dry-run", "--json")
    assert shown.returncode == 4, shown.stderr
    plan = json.loads(shown.stdout)
    assert plan["dry_run"] is True
    assert plan["package"] == "x"
    reasons = " ".join(refusal["reason"] for refusal in plan["refusals"])
    for reason in ("no commits yet", "not clean", "no remote"):
        assert reason in reasons
    assert all(refusal["fix"] for refusal in plan["refusals"])


def test_a_refused_release_with_json_prints_json(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    (release_repo.root / "new.py").write_text("x = 1\n")
    assert run(["release", "--path", str(release_repo.root), "--skip-checks", "--json"]) == 4
    result = json.loads(capsys.readouterr().out)
    assert result["exit_code"] == 4
    assert "not clean" in result["refusals"][0]["reason"]


SECRET = "hunter2-very-secret"


def test_credentials_in_an_index_url_from_the_environment_are_masked(
    release_repo: ReleaseRepo,
) -> None:
    env = {
        "QDEV_RELEASE__PUBLISH": "true",
        "QDEV_RELEASE__PUBLISH_INDEX": "team",
        "QDEV_ENV__INDEXES__TEAM": f"https://me:{SECRET}@pypi.example/simple/",
    }
    for args in (["--dry-run"], ["--dry-run", "--json"]):
        shown = run_cli(release_repo.root, "release", "--skip-checks", *args, env=env)
        assert shown.returncode == 0, shown.stderr
        assert SECRET not in shown.stdout + shown.stderr
        assert "https://pypi.example/" in shown.stdout
        assert "environment variable QDEV_ENV__INDEXES__TEAM" in shown.stdout
        assert "in a file in the repo" not in shown.stdout + shown.stderr


def test_credentials_in_a_url_in_a_repo_file_are_refused_masked_and_located(
    release_repo: ReleaseRepo,
) -> None:
    release_repo.set_config(
        release=f'publish = true\npublish_index = "https://me:{SECRET}@pypi.example/"\n'
    )
    refused = run_cli(release_repo.root, "release", "--skip-checks", "--dry-run")
    assert refused.returncode == 2
    assert SECRET not in refused.stdout + refused.stderr
    assert "pyproject.toml" in refused.stderr
    assert "UV_PUBLISH_TOKEN" in refused.stderr


def test_credentials_in_an_environment_url_publish_and_stay_out_of_the_journal(
    release_repo: ReleaseRepo, package_index: PackageIndex
) -> None:
    authed = package_index.simple.replace("http://", f"http://releaser:{INDEX_PASSWORD}@")
    env = {
        "QDEV_RELEASE__PUBLISH": "true",
        "QDEV_RELEASE__PUBLISH_INDEX": "team",
        "QDEV_ENV__INDEXES__TEAM": authed,
        "QDEV_RELEASE_FAIL_AT": "publish:fail",
    }
    failed = run_cli(release_repo.root, "release", "--skip-checks", env=env)
    assert failed.returncode == 1, failed.stderr
    journal = (release_repo.root / ".git" / "qdev-release.json").read_text()
    assert INDEX_PASSWORD not in journal
    assert INDEX_PASSWORD not in failed.stdout + failed.stderr
    env.pop("QDEV_RELEASE_FAIL_AT")
    finished = run_cli(release_repo.root, "release", "--continue", env=env)
    assert finished.returncode == 0, finished.stderr
    assert INDEX_PASSWORD not in finished.stdout + finished.stderr
    assert sorted(p.name for p in package_index.packages.iterdir()) == [
        "demo_pkg-0.2.0-py3-none-any.whl",
        "demo_pkg-0.2.0.tar.gz",
    ]


def test_a_remote_url_with_credentials_is_masked_in_notes_and_errors(
    release_repo: ReleaseRepo,
) -> None:
    root = release_repo.root
    git(root, "remote", "set-url", "origin", f"http://me:{SECRET}@127.0.0.1:9/nowhere.git")
    noted = run_cli(root, "release", "--skip-checks", "--dry-run", "--no-push")
    assert noted.returncode == 0, noted.stderr
    assert "not reachable" in noted.stdout
    assert SECRET not in noted.stdout + noted.stderr
    refused = run_cli(root, "release", "--skip-checks", "--dry-run", "--json")
    assert refused.returncode == 4
    assert SECRET not in refused.stdout + refused.stderr
    shutil.rmtree(root / "dist", ignore_errors=True)


@pytest.mark.parametrize("marker", ["source", "verify-venv"], ids=["during-build", "during-verify"])
def test_a_real_sigterm_while_uv_runs_exits_130_and_rolls_back(
    release_repo: ReleaseRepo, marker: str
) -> None:
    before, remote = snapshot(release_repo.root), release_repo.remote_refs()
    child = start_cli(release_repo.root, "release", "--skip-checks")
    staging = release_repo.root / ".git" / "qdev-release" / marker
    wait_for(staging.exists, f"the release to reach {marker}")
    child.signal(signal.SIGTERM)
    code, _, err = child.finish()
    assert code == 130, err
    assert "rolled back" in err
    assert snapshot(release_repo.root) == before
    assert release_repo.remote_refs() == remote
