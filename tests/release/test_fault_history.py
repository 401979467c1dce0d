"""Fault suite, group "the version read from history": partial clones, stale locks, multi-line
commit headers. The version qdev plans is the one the full history calls for, or it refuses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdev.release.commits import parse_message
from qdev.release.plan import read_commits
from qdev.tools.git import open_repo

from .release_helpers import ReleaseRepo, git, make_repo, run_cli

pytestmark = pytest.mark.e2e


def dry_run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(root, "release", "--dry-run", "--json", "--skip-checks", *args)


# --- partial history ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "clone_args",
    [["--depth", "1"], ["--depth", "2"], ["--shallow-exclude", "v0.1.0"], ["--no-tags"]],
    ids=["depth-1", "depth-2", "shallow-exclude", "no-tags"],
)
def test_a_clone_missing_history_since_the_last_release_refuses(
    release_repo: ReleaseRepo, tmp_path: Path, clone_args: list[str]
) -> None:
    full = dry_run(release_repo.root)
    assert json.loads(full.stdout)["version"] == "0.2.0"
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", *clone_args, f"file://{release_repo.remote}", str(clone))
    refused = dry_run(clone)
    assert refused.returncode == 4, refused.stderr
    assert json.loads(refused.stdout)["refusals"]
    text = refused.stderr
    assert "git fetch" in text
    real = run_cli(clone, "release", "--skip-checks", "--no-push")
    assert real.returncode == 4, real.stderr
    assert git(clone, "tag", "-l", "v0.2.0") == ""


def test_a_shallow_clone_deep_enough_plans_like_the_full_one(
    release_repo: ReleaseRepo, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{release_repo.remote}", str(clone))
    refused = dry_run(clone)
    assert refused.returncode == 4
    git(clone, "fetch", "-q", "--unshallow", "--tags")
    planned = dry_run(clone)
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["version"] == "0.2.0"


# --- multi-line headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("feat(parser\n): multi-line scope", None),
        ("feat\n: a feature on the second line", None),
        ("docs: words\nfeat: not a header, a body line", "docs"),
        ("fix: the header\n\nfeat(x): looks like a header in the body", "fix"),
        ("feat(api)!\n: breaking on line two", None),
    ],
)
def test_only_the_first_line_is_the_header(tmp_path: Path, message: str, kind: str | None) -> None:
    repo = make_repo(tmp_path, with_remote=False)
    git(repo.root, "commit", "-q", "--allow-empty", "-m", message)
    commits = read_commits(open_repo(repo.root), "HEAD~1..HEAD")
    assert [commit.type for commit in commits] == [kind]
    assert commits[0].subject == message.splitlines()[0]


def test_a_multi_line_header_does_not_make_a_minor_release(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, with_remote=False)
    git(repo.root, "reset", "-q", "--hard", "v0.1.0")
    repo.commit("fix: a real fix")
    git(repo.root, "commit", "-q", "--allow-empty", "-m", "feat(parser\n): not a feat")
    planned = run_cli(repo.root, "release", "--dry-run", "--json", "--no-push")
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["version"] == "0.1.1"


_line = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\n\r\x00"))


@settings(suppress_health_check=[HealthCheck.too_slow])  # timing: benchmarks' job
@given(first=_line, rest=st.lists(_line, max_size=4))
def test_parsing_reads_the_header_from_the_first_line_alone(first: str, rest: list[str]) -> None:
    whole = parse_message("a" * 40, "\n".join([first, *rest]))
    alone = parse_message("a" * 40, first)
    assert (whole.type, whole.scope, whole.description) == (
        alone.type,
        alone.scope,
        alone.description,
    )


# --- uv.lock --------------------------------------------------------------------------------------


def test_the_release_commit_updates_the_projects_version_in_uv_lock(
    release_repo: ReleaseRepo,
) -> None:
    root = release_repo.root
    subprocess.run(["uv", "lock", "--offline", "-q"], cwd=root, check=True)
    git(root, "add", "uv.lock")
    git(root, "commit", "-q", "-m", "build: lock")
    git(root, "push", "-q", "origin", "main")
    planned = dry_run(root)
    assert "uv.lock" in json.loads(planned.stdout)["files"]
    done = run_cli(root, "release", "--skip-checks")
    assert done.returncode == 0, done.stderr
    assert "uv.lock" in git(root, "show", "--name-only", "--format=", "v0.2.0").splitlines()
    check = subprocess.run(
        ["uv", "lock", "--check", "--offline"], cwd=root, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    assert git(root, "status", "--porcelain") == ""


def test_a_project_in_a_workspace_member_updates_the_workspace_lock(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, with_remote=False)
    root = repo.root
    sub = root / "libs" / "demo"
    sub.mkdir(parents=True)
    for name in ("pyproject.toml", "src"):
        git(root, "mv", name, f"libs/demo/{name}")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "workspace"\nversion = "1.0.0"\nrequires-python = ">=3.11"\n'
        'dependencies = ["demo-pkg"]\n\n[tool.uv.sources]\ndemo-pkg = { workspace = true }\n\n'
        '[tool.uv.workspace]\nmembers = ["libs/demo"]\n'
    )
    subprocess.run(["uv", "lock", "--offline", "-q"], cwd=root, check=True)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "refactor: a workspace")
    done = run_cli(sub, "release", "--skip-checks", "--no-push", "--json")
    assert done.returncode == 0, done.stderr
    assert "uv.lock" in json.loads(done.stdout)["files"]
    check = subprocess.run(
        ["uv", "lock", "--check", "--offline"], cwd=root, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    assert 'version = "1.0.0"' in (root / "pyproject.toml").read_text()
