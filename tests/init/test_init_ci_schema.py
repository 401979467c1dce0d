"""The generated CI pipelines validate against GitHub's and GitLab's published JSON schemas;
with the built-in profile, which cannot know where a team installs qdev, none is written."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from qdev.tools import process
from tests.cli_runner import RunQdev

CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")


@pytest.mark.parametrize(
    ("provider", "pipeline", "schema"),
    [
        ("github", ".github/workflows/ci.yml", "vendor.github-workflows"),
        ("gitlab", ".gitlab-ci.yml", "vendor.gitlab-ci"),
    ],
)
@pytest.mark.parametrize("kind", ["library", "research", "service"])
def test_the_pipeline_validates_against_its_schema(
    tmp_path: Path,
    qdev: RunQdev,
    ci_ready_profile: Path,
    provider: str,
    pipeline: str,
    schema: str,
    kind: str,
) -> None:
    ran = qdev(
        "init", tmp_path / "demo", "--kind", kind, "--ci", provider, "--profile", ci_ready_profile,
        "--yes", "--no-env", "--no-git",
    )  # fmt: skip
    assert ran.code == 0, ran.err
    path = tmp_path / "demo" / pipeline
    checked = process.run([CHECK_JSONSCHEMA, "--builtin-schema", schema, str(path)])
    assert checked.ok, checked.output
    text = path.read_text()
    assert "qdev env --frozen" in text
    assert '["3.11", "3.12", "3.13"]' in text
    assert ("--format github" if provider == "github" else "--format junit") in text


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_the_built_in_profile_writes_no_pipeline_and_says_how_to_get_one(
    tmp_path: Path, qdev: RunQdev, provider: str
) -> None:
    ran = qdev("init", tmp_path / "demo", "--ci", provider, "--yes", "--no-env", "--no-git")
    assert ran.code == 0, ran.err
    assert not (tmp_path / "demo" / ".github").exists()
    assert not (tmp_path / "demo" / ".gitlab-ci.yml").exists()
    assert "no CI pipeline written: the built-in profile cannot know where" in ran.out
    assert 'qdev_requirement = "qdev==X.Y.Z"' in ran.out


def test_a_broken_pipeline_fails_the_same_validation(tmp_path: Path) -> None:
    broken = tmp_path / "ci.yml"
    broken.write_text("on: push\njobs:\n  check:\n    steps: []\n")
    checked = process.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows", str(broken)]
    )
    assert not checked.ok
