"""`qdev ci`: what the pipeline holds, where it runs, and writing it without losing edits."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev import __version__
from qdev.__main__ import main
from qdev.profile import state as profile_state
from qdev.tools import process

from .conftest import Team
from .harness import load_gitlab, load_workflow

CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")
Ran = tuple[int, str, str]


@pytest.fixture
def qdev_ci(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Ran]:
    """`qdev_ci(repo, *args)`: `qdev ci ARGS` run in `repo`, in this process."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")

    def run(repo: Path, *args: str) -> Ran:
        monkeypatch.chdir(repo)
        capsys.readouterr()
        code = main(["ci", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def copy_of(team: Team, tmp_path: Path) -> Callable[..., Path]:
    """`copy_of(kind, provider)`: a private copy of the team's repo, its profile beside it."""

    def copy(kind: str, provider: str = "github") -> Path:
        shutil.copytree(team.profile, tmp_path / "profile", dirs_exist_ok=True)
        target = tmp_path / f"{kind}-{provider}"
        shutil.copytree(team.repo(kind, provider), target, symlinks=True)
        return target

    return copy


@pytest.mark.parametrize(
    ("provider", "paths", "schema"),
    [
        (
            "github",
            [".github/workflows/ci.yml", ".github/workflows/release.yml"],
            "github-workflows",
        ),
        ("gitlab", [".gitlab-ci.yml"], "gitlab-ci"),
    ],
)
def test_the_pipelines_validate_against_the_published_schemas(
    team: Team, provider: str, paths: list[str], schema: str
) -> None:
    for kind in ("library", "research", "service"):
        for path in paths:
            pipeline = team.repo(kind, provider) / path
            checked = process.run(
                [CHECK_JSONSCHEMA, "--builtin-schema", f"vendor.{schema}", str(pipeline)]
            )
            assert checked.ok, checked.output


def test_the_github_pipeline_holds_every_step_ci_needs(team: Team) -> None:
    ci = load_workflow(team.repo("library") / ".github/workflows/ci.yml")
    assert ci["on"] == {"push": {"branches": ["main"]}, "pull_request": None}
    assert ci["env"]["QDEV_REQUIREMENT"] == f"qdev=={__version__}"
    job = ci["jobs"]["check"]
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.12"]
    steps = {step.get("name", step.get("uses")): step for step in job["steps"]}
    assert steps["astral-sh/setup-uv@v6"]["with"]["enable-cache"] is True
    assert 'uv tool install --index "qdev=$QDEV_INDEX"' in steps["Install qdev"]["run"]
    assert steps["Install qdev"]["env"]["UV_INDEX_QDEV_PASSWORD"] == (
        "${{ secrets.QDEV_INDEX_PASSWORD }}"
    )
    runs = [step.get("run") for step in job["steps"]]
    assert (
        runs.index("qdev env --frozen --python ${{ matrix.python }}")
        < runs.index("qdev sync --check")
        < runs.index("qdev check --format github")
    )
    save = steps["Save the check cache"]
    assert save["if"] == "always()"
    assert save["with"]["key"].endswith("${{ hashFiles('.qdev/cache/check/*.json') }}")
    assert save["with"]["path"] == steps["Restore the check cache"]["with"]["path"] == ".qdev/cache"
    assert steps["Restore the check cache"]["with"]["restore-keys"] == (
        "qdev-check-${{ matrix.python }}-"
    )


def test_the_github_release_workflow_is_manual_with_credentials_from_secrets(team: Team) -> None:
    release = load_workflow(team.repo("library") / ".github/workflows/release.yml")
    assert list(release["on"]) == ["workflow_dispatch"]
    assert release["permissions"] == {"contents": "write"}
    steps = release["jobs"]["release"]["steps"]
    assert steps[0]["with"] == {
        "fetch-depth": 0,
        "token": "${{ secrets.QDEV_RELEASE_TOKEN || github.token }}",
    }
    last = steps[-1]
    assert 'qdev release "$BUMP" --yes' in last["run"]
    assert last["env"]["UV_PUBLISH_PASSWORD"] == "${{ secrets.QDEV_PUBLISH_PASSWORD }}"
    assert last["env"]["BUMP"] == "${{ inputs.bump }}"  # never pasted into the script


def test_the_gitlab_pipeline_reports_junit_and_releases_by_hand(team: Team) -> None:
    pipeline = load_gitlab(team.repo("library", "gitlab") / ".gitlab-ci.yml")
    assert {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'} in pipeline["workflow"]["rules"]
    assert {"if": '$CI_COMMIT_BRANCH == "main"'} in pipeline["workflow"]["rules"]
    check = pipeline["check"]
    assert check["parallel"]["matrix"] == [{"PYTHON": ["3.11", "3.12"]}]
    assert check["script"] == [
        'qdev env --frozen --python "$PYTHON"',
        "qdev sync --check",
        "qdev check --format junit --output qdev-report.xml",
    ]
    assert check["artifacts"] == {"when": "always", "reports": {"junit": "qdev-report.xml"}}
    # the step results, mypy's and ruff's own caches and the step timings, together
    assert {"key": "qdev-check-$PYTHON", "paths": [".qdev/cache"], "when": "always"} in (
        check["cache"]
    )
    assert pipeline["release"]["rules"] == [{"if": '$CI_COMMIT_BRANCH == "main"', "when": "manual"}]


def test_a_repo_on_master_gets_a_pipeline_for_master(
    copy_of: Callable[..., Path], qdev_ci: Callable[..., Ran]
) -> None:
    repo = copy_of("library")
    process.run(["git", "branch", "-m", "main", "master"], cwd=repo)
    code, out, err = qdev_ci(repo)
    assert code == 0, err
    assert "github pipeline: branch master and pull requests, Python 3.11, 3.12" in out
    assert "   update  .github/workflows/ci.yml" in out
    ci = load_workflow(repo / ".github/workflows/ci.yml")
    assert ci["on"]["push"] == {"branches": ["master"]}
    code, out, err = qdev_ci(repo, "gitlab")
    assert code == 0, err
    assert '$CI_COMMIT_BRANCH == "master"' in (repo / ".gitlab-ci.yml").read_text()


def test_check_passes_on_the_written_pipeline_and_fails_with_a_diff_after_an_edit(
    copy_of: Callable[..., Path], qdev_ci: Callable[..., Ran]
) -> None:
    repo = copy_of("library")
    code, out, _ = qdev_ci(repo, "--check")
    assert code == 0
    assert "unchanged  .github/workflows/ci.yml" in out
    ci = repo / ".github/workflows/ci.yml"
    ci.write_text(ci.read_text().replace("fail-fast: false", "fail-fast: true"))
    code, out, err = qdev_ci(repo, "--check")
    assert code == 1
    assert "differs  .github/workflows/ci.yml" in out
    assert "-      fail-fast: true" in out
    assert "+      fail-fast: false" in out
    assert "the github pipeline differs from what qdev ci writes" in err
    assert "fail-fast: true" in ci.read_text()  # --check writes nothing


def test_a_hand_edited_pipeline_is_kept_unless_force_which_keeps_a_backup(
    copy_of: Callable[..., Path], qdev_ci: Callable[..., Ran]
) -> None:
    repo = copy_of("library")
    ci = repo / ".github/workflows/ci.yml"
    edited = ci.read_text() + "# our own step\n"
    ci.write_text(edited)
    code, _, err = qdev_ci(repo)
    assert code == 4
    assert "has edits qdev did not make" in err
    assert ci.read_text() == edited
    code, out, _ = qdev_ci(repo, "--dry-run")
    assert code == 0
    assert "edited: `qdev ci` needs --force" in out
    code, out, err = qdev_ci(repo, "--force")
    assert code == 0, err
    assert "# our own step" not in ci.read_text()
    assert (repo / ".github/workflows/ci.yml.qdev-backup").read_text() == edited


def test_a_pipeline_qdev_wrote_follows_the_config_and_is_recorded(
    copy_of: Callable[..., Path], qdev_ci: Callable[..., Ran]
) -> None:
    repo = copy_of("library")
    config = repo / "qdev.toml"
    config.write_text(config.read_text() + '\npython = ["3.12"]\n')  # under [ci]
    code, out, err = qdev_ci(repo, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["python"] == ["3.12"]
    assert {"path": ".github/workflows/ci.yml", "change": "update"} in report["files"]
    ci = (repo / ".github/workflows/ci.yml").read_bytes()
    assert b'python: ["3.12"]' in ci
    recorded = profile_state.read(repo)
    assert recorded is not None
    record = recorded.files[".github/workflows/ci.yml"]
    assert record.written == record.template == profile_state.sha256(ci)
    assert qdev_ci(repo, "--check")[0] == 0


def test_a_profile_outside_the_repo_is_noted(
    copy_of: Callable[..., Path], qdev_ci: Callable[..., Ran]
) -> None:
    code, out, _ = qdev_ci(copy_of("library"), "--check")
    assert code == 0
    assert "note: the team profile is a folder outside the repo (../profile)" in out


def test_the_built_in_profile_writes_no_pipeline_and_says_how_to_get_one(
    tmp_path: Path, qdev_ci: Callable[..., Ran]
) -> None:
    made = process.run(
        [sys.executable, "-m", "qdev", "init", "demo", "--yes", "--no-env", "--no-git"],
        cwd=tmp_path,
    )
    assert made.ok, made.output
    code, _, err = qdev_ci(tmp_path / "demo")
    assert code == 2
    assert "no CI pipeline written: the built-in profile cannot know where" in err
    assert 'qdev_requirement = "qdev==X.Y.Z"' in err
    assert not (tmp_path / "demo" / ".github").exists()


def test_an_unknown_provider_is_a_usage_error(
    copy_of: Callable[..., Path], qdev_ci: Callable[..., Ran]
) -> None:
    code, _, err = qdev_ci(copy_of("library"), "jenkins")
    assert code == 2
    assert 'unknown CI provider "jenkins"' in err
