"""The generated pipelines, executed by the harness: they pass on a clean repo of each kind,
fail on a planted lint error, answer unchanged steps from the restored check cache on a second
run, and release from CI with the credentials of CI secrets."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.tools import process

from .conftest import INDEX_LOGIN, Push, Team
from .harness import (
    CacheStore,
    GithubJob,
    GitlabJob,
    JobRun,
    Remote,
    Shared,
    load_gitlab,
    load_workflow,
)

pytestmark = pytest.mark.e2e

# The project's secrets, as the CI setup guide names them: the team index's login.
SECRETS = {
    "QDEV_INDEX_USERNAME": INDEX_LOGIN[0],
    "QDEV_INDEX_PASSWORD": INDEX_LOGIN[1],
    "QDEV_PUBLISH_USERNAME": INDEX_LOGIN[0],
    "QDEV_PUBLISH_PASSWORD": INDEX_LOGIN[1],
}
CHECK_STEPS = {"format", "lint", "typecheck", "test", "secrets", "lock"}


def git(cwd: Path, *args: str) -> str:
    done = process.run(["git", *args], cwd=cwd)
    assert done.ok, done.output
    return done.stdout.strip()


def commit_to(remote: Remote, work: Path, change: Callable[[Path], None], message: str) -> None:
    """A developer's push: clone, change, commit, push."""
    clone = work / "dev-clone"
    git(work, "clone", "-q", str(remote.bare), str(clone))
    change(clone)
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", message)
    git(clone, "push", "-q", "origin", remote.branch)


def plant_lint_error(repo: Path) -> None:
    module = next((repo / "src").glob("*/core.py"))
    module.write_text("import os\n" + module.read_text())


def pushed_file(remote: Remote, work: Path, path: str) -> Path:
    """The pipeline file as pushed: what the CI service reads."""
    target = work / "pipeline" / Path(path).name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(git(remote.bare, "show", f"{remote.branch}:{path}") + "\n")
    return target


def github(
    remote: Remote,
    work: Path,
    shared: Shared,
    caches: CacheStore,
    *,
    workflow: str = "ci.yml",
    job: str = "check",
    matrix: dict[str, str] | None = None,
    inputs: dict[str, str] | None = None,
) -> JobRun:
    spec = load_workflow(pushed_file(remote, work, f".github/workflows/{workflow}"))
    run = GithubJob(spec, job, remote, work / "runner", shared, caches)
    run.matrix, run.secrets, run.inputs = matrix or {}, dict(SECRETS), inputs or {}
    return run.run()


def gitlab(
    remote: Remote,
    work: Path,
    shared: Shared,
    caches: CacheStore,
    *,
    job: str = "check",
    matrix: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
) -> JobRun:
    spec = load_gitlab(pushed_file(remote, work, ".gitlab-ci.yml"))
    run = GitlabJob(spec, job, remote, work / "runner", shared, caches)
    run.matrix, run.variables = matrix or {}, {**SECRETS, **(variables or {})}
    return run.run()


def cached_in_log(log: str) -> set[str]:
    return set(re.findall(r"::group::qdev check (\w+): passed \(cached\)", log))


def junit_cases(run: JobRun) -> dict[str, ET.Element]:
    report = ET.parse(run.artifacts["junit"]).getroot()
    return {case.attrib["name"]: case for case in report.iter("testcase")}


def cached_in_junit(run: JobRun) -> set[str]:
    return {
        name
        for name, case in junit_cases(run).items()
        if (case.findtext("system-out") or "") == "answered from the qdev check cache"
    }


def test_github_check_passes_then_answers_from_the_restored_cache_then_fails_on_lint(
    push: Push, tmp_path: Path, harness_shared: Shared, caches: CacheStore
) -> None:
    remote = push("library", "github")
    matrix = {"python": "3.12"}
    first = github(remote, tmp_path, harness_shared, caches, matrix=matrix)
    assert first.ok, first.log
    assert "repo: up to date with profile default" in first.step("Drift from the team profile").log
    assert "qdev check lint: passed" in first.step("Checks").log
    assert cached_in_log(first.step("Checks").log) == set()
    assert "cache saved with key qdev-check-3.12-" in first.step("Save the check cache").log

    second = github(remote, tmp_path, harness_shared, caches, matrix=matrix)
    assert second.ok, second.log
    assert "cache restored from key qdev-check-3.12-" in second.step("Restore the check cache").log
    assert cached_in_log(second.step("Checks").log) >= CHECK_STEPS, second.log

    commit_to(remote, tmp_path, plant_lint_error, "feat: an unused import")
    third = github(remote, tmp_path, harness_shared, caches, matrix=matrix)
    assert not third.ok
    assert third.step("Checks").status == "failed"
    assert re.search(r"::error file=src/library/core\.py,line=1,.*F401", third.step("Checks").log)
    assert third.step("Save the check cache").status == "passed"  # if: always()


def test_gitlab_check_passes_then_answers_from_the_restored_cache_then_fails_on_lint(
    push: Push, tmp_path: Path, harness_shared: Shared, caches: CacheStore
) -> None:
    remote = push("library", "gitlab")
    matrix = {"PYTHON": "3.11"}
    first = gitlab(remote, tmp_path, harness_shared, caches, matrix=matrix)
    assert first.ok, first.log
    assert "$ qdev sync --check\nrepo: up to date with profile default" in first.log
    assert cached_in_junit(first) == set()
    assert junit_cases(first).keys() >= CHECK_STEPS

    second = gitlab(remote, tmp_path, harness_shared, caches, matrix=matrix)
    assert second.ok, second.log
    assert ".qdev/cache: restored from qdev-check-3.11" in second.step("restore cache").log
    assert cached_in_junit(second) >= CHECK_STEPS, second.log

    commit_to(remote, tmp_path, plant_lint_error, "feat: an unused import")
    third = gitlab(remote, tmp_path, harness_shared, caches, matrix=matrix)
    assert not third.ok
    lint = junit_cases(third)["lint"].find("failure")
    assert lint is not None
    assert "src/library/core.py:1" in (lint.text or "")
    assert "F401" in (lint.text or "")


@pytest.mark.parametrize(
    ("kind", "provider", "python"),
    [
        ("research", "github", "3.11"),
        ("service", "github", "3.12"),
        ("research", "gitlab", "3.12"),
        ("service", "gitlab", "3.11"),
    ],
)
def test_the_check_job_passes_on_a_fresh_repo_of_each_kind(
    push: Push,
    tmp_path: Path,
    harness_shared: Shared,
    caches: CacheStore,
    kind: str,
    provider: str,
    python: str,
) -> None:
    remote = push(kind, provider)
    if provider == "github":
        run = github(remote, tmp_path, harness_shared, caches, matrix={"python": python})
        assert run.ok, run.log
        assert "qdev check: " in run.step("Checks").log
    else:
        run = gitlab(remote, tmp_path, harness_shared, caches, matrix={"PYTHON": python})
        assert run.ok, run.log
        assert not [c for c in junit_cases(run).values() if c.find("failure") is not None]
    assert f"Python {python}" in run.log


def _publish_on_release(remote: Remote, work: Path, team: Team) -> None:
    def configure(repo: Path) -> None:
        config = repo / "qdev.toml"
        config.write_text(
            config.read_text()
            + f'\n[release]\npublish = true\npublish_index = "{team.index.url}"\n'
        )

    commit_to(remote, work, configure, "chore: publish releases to the team index")


def _released(remote: Remote, team: Team, version: str) -> None:
    assert git(remote.bare, "tag", "--list", f"v{version}") == f"v{version}"
    assert git(remote.bare, "log", "-1", "--format=%s", "main") == f"chore(release): v{version}"
    assert list(team.index.packages.glob(f"library-{version}-py3-none-any.whl"))


def test_github_release_workflow_releases_with_the_secrets(
    push: Push, tmp_path: Path, harness_shared: Shared, caches: CacheStore, team: Team
) -> None:
    remote = push("library", "github")
    _publish_on_release(remote, tmp_path, team)
    run = github(
        remote,
        tmp_path / "release",
        harness_shared,
        caches,
        workflow="release.yml",
        job="release",
        inputs={"bump": "0.2.0"},
    )
    assert run.ok, run.log
    _released(remote, team, "0.2.0")


def test_gitlab_release_job_is_manual_and_releases_with_the_variables(
    push: Push, tmp_path: Path, harness_shared: Shared, caches: CacheStore, team: Team
) -> None:
    remote = push("library", "gitlab")
    _publish_on_release(remote, tmp_path, team)
    spec = load_gitlab(pushed_file(remote, tmp_path, ".gitlab-ci.yml"))
    job = GitlabJob(spec, "release", remote, tmp_path / "runner", harness_shared, caches)
    assert job.rule(spec["release"]["rules"], job.predefined()) == "manual"
    run = gitlab(
        remote,
        tmp_path / "release",
        harness_shared,
        caches,
        job="release",
        variables={"BUMP": "0.3.0"},
    )
    assert run.ok, run.log
    _released(remote, team, "0.3.0")
