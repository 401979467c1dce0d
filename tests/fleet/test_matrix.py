"""`qdev fleet status --ci-matrix github|gitlab`: a pipeline that validates against the CI's own
schema, with the shards its size calls for; and shard reports merged back into one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from qdev.fleet import matrix
from qdev.tools import process
from tests.cli_runner import RunQdev

from . import world as w

CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")
SCHEMAS = {"github": "vendor.github-workflows", "gitlab": "vendor.gitlab-ci"}
INDEX = "https://pypi.example.internal/simple/"
SOURCE = ["--qdev-requirement", "qdev==1.4.2", "--qdev-index", INDEX]


def small_fleet(folder: Path, count: int) -> None:
    for n in range(count):
        repo = folder / f"repo{n:03d}"
        repo.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    lines = [f'[repos.repo{n:03d}]\npath = "repo{n:03d}"\ngroup = "rates"\n' for n in range(count)]
    (folder / "fleet.toml").write_text("\n".join(lines))


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize("check", [False, True])
def test_the_pipeline_validates_against_its_ci_schema_with_shards_for_its_size(
    tmp_path: Path, qdev: RunQdev, provider: str, check: bool
) -> None:
    small_fleet(tmp_path, 30)
    flags = ["--check"] if check else []

    ran = qdev(
        "fleet", "status", "--ci-matrix", provider, "-g", "rates", *flags, *SOURCE, cwd=tmp_path
    )

    assert ran.code == 0, ran.err
    path = tmp_path / matrix.DEFAULT_FILES[provider]
    checked = process.run([CHECK_JSONSCHEMA, "--builtin-schema", SCHEMAS[provider], str(path)])
    assert checked.ok, checked.output
    shards = matrix.shard_count(30, check=check, provider=provider)
    assert shards == (7 if check else 1)
    assert f"{shards} shard" in ran.out
    pipeline = YAML(typ="safe").load(path.read_text())
    text = path.read_text()
    assert "--group rates" in text
    assert ("--check" in text) == check
    assert "--from 'fleet-status-*.json'" in text
    installs = text.count(f"uv tool install --index qdev={INDEX} qdev==1.4.2")
    assert installs == (2 if provider == "github" else 1)  # gitlab: one shared template
    assert "UV_INDEX_QDEV_PASSWORD" in text
    if provider == "github":
        assert pipeline["jobs"]["status"]["strategy"]["matrix"]["shard"] == list(
            range(1, shards + 1)
        )
        assert f"--shard ${{{{ matrix.shard }}}}/{shards}" in text
    else:
        assert pipeline["fleet-status"].get("parallel", 1) == shards
        assert "$CI_NODE_INDEX/$CI_NODE_TOTAL" in text or shards == 1


def test_shard_counts_follow_the_documented_numbers() -> None:
    assert matrix.shard_count(200, check=False, provider="github") == 2
    assert matrix.shard_count(200, check=True, provider="github") == 43
    assert matrix.shard_count(5000, check=True, provider="gitlab") == 200
    assert matrix.shard_count(3, check=True, provider="github") == 1
    assert matrix.shard_count(0, check=False, provider="github") == 1


def test_bad_matrix_requests_are_usage_errors(tmp_path: Path, qdev: RunQdev) -> None:
    small_fleet(tmp_path, 3)
    unknown = qdev("fleet", "status", "--ci-matrix", "jenkins", *SOURCE, cwd=tmp_path)
    too_many = qdev("fleet", "status", "--ci-matrix", "gitlab", "--shards", "500", *SOURCE)
    with_shard = qdev("fleet", "status", "--ci-matrix", "github", "--shard", "1/2", *SOURCE)
    nowhere = qdev("fleet", "status", "--ci-matrix", "github")
    half = qdev("fleet", "status", "--ci-matrix", "github", "--qdev-requirement", "qdev==1.4.2")
    assert (unknown.code, too_many.code, with_shard.code) == (2, 2, 2)
    assert "github, gitlab" in unknown.err
    assert "1 to 200" in too_many.err
    assert "drop --shard" in with_shard.err
    assert (nowhere.code, half.code) == (2, 2)
    assert "does not say where CI installs qdev from" in nowhere.err
    assert "qdev_index" in nowhere.err
    assert "give both" in half.err
    assert not (tmp_path / matrix.DEFAULT_FILES["github"]).exists()


def test_the_pipeline_installs_the_qdev_the_repos_team_profile_pins(
    tmp_path: Path, qdev: RunQdev
) -> None:
    profile = tmp_path / "profile"
    assert qdev("profile", "new", profile, "--name", "team").code == 0
    manifest = profile / "profile.toml"
    pins = f'[variables]\nqdev_requirement = "qdev==2.0.1"\nqdev_index = "{INDEX}"\n'
    manifest.write_text(manifest.read_text().replace("[variables]\n", pins, 1))
    repo = tmp_path / "alpha"
    repo.mkdir()
    (repo / "qdev.toml").write_text('[extends]\npath = "../profile"\n')
    assert qdev("init", repo, "--kind", "library", "--yes", "--no-env", "--commit").code == 0
    assert qdev("fleet", "add", repo, cwd=tmp_path).code == 0

    ran = qdev("fleet", "status", "--ci-matrix", "gitlab")

    assert ran.code == 0, ran.err
    text = (tmp_path / matrix.DEFAULT_FILES["gitlab"]).read_text()
    assert f"uv tool install --index qdev={INDEX} qdev==2.0.1" in text
    assert "installing qdev==2.0.1" in ran.out


@pytest.mark.e2e
def test_shard_reports_merge_into_the_report_of_the_whole_fleet(fleet: Path, qdev: RunQdev) -> None:
    for shard in (1, 2, 3):
        ran = qdev("fleet", "status", "--shard", f"{shard}/3", "--json")
        (fleet / f"fleet-status-{shard}.json").write_text(ran.out)
    whole = json.loads(qdev("fleet", "status", "--json").out)

    merged = qdev(
        "fleet", "status", "--from", "fleet-status-*.json", "--json", "--html", "all.html"
    )

    document = json.loads(merged.out)
    assert merged.code == 1  # the unreachable repo is in one of the shards
    assert [r["name"] for r in document["repos"]] == [r["name"] for r in whole["repos"]]
    assert document["summary"] == whole["summary"]
    assert len(document["repos"]) == w.COUNT
    assert "r00" in (fleet / "all.html").read_text()
    (fleet / "bad.json").write_text('{"schema": "something else"}')
    refused = qdev("fleet", "status", "--from", "bad.json")
    assert refused.code == 2
    assert "not a qdev fleet status report" in refused.err
