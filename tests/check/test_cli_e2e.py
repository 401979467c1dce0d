"""`qdev check` through the real CLI: listing, selection, errors with their exit codes,
report files, --changed, --matrix, and the release guard's `passes`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from qdev.check import passes

from .check_helpers import git, qdev

pytestmark = pytest.mark.e2e

LINT_ERROR = "\n\ndef unused() -> None:\n    import os\n"


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_list_names_every_step_with_custom_ones(repo: Path) -> None:
    _append(repo / "qdev.toml", '\n[check.custom.docs]\nrun = ["python", "-c", "print(1)"]\n')

    ran = qdev(repo, "check", "--list")

    assert ran.code == 0, ran.stderr
    names = [line.split()[0] for line in ran.stdout.splitlines()]
    assert names == [
        "format", "lint", "typecheck", "test", "audit", "secrets", "lock", "notebooks",
        "filesize", "docs",
    ]  # fmt: skip
    assert "on request" in ran.stdout.splitlines()[-1]


def test_an_unknown_step_is_a_usage_error(repo: Path) -> None:
    ran = qdev(repo, "check", "lnt")

    assert ran.code == 2
    assert "lnt is neither a step nor a file" in ran.stderr
    assert "did you mean lint?" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_outside_a_git_repository_says_so_in_qdevs_words(tmp_path: Path) -> None:
    (tmp_path / "qdev.toml").write_text("")

    ran = qdev(tmp_path, "check", "lint")

    assert ran.code == 2
    assert f"{tmp_path} is not inside a git repository" in ran.stderr
    assert "git init" in ran.stderr
    assert "Traceback" not in ran.stderr


@pytest.mark.parametrize("damage", ["no-marker", "lock-changed"])
def test_a_missing_or_stale_environment_says_to_run_qdev_env(repo: Path, damage: str) -> None:
    if damage == "no-marker":
        (repo / ".venv" / "qdev-env.json").unlink()
    else:
        _append(repo / "uv.lock", "\n")

    ran = qdev(repo, "check", "lint")

    assert ran.code == 3
    assert "qdev env" in ran.stderr


def test_junit_report_goes_to_the_output_file_and_a_summary_to_stdout(repo: Path) -> None:
    _append(repo / "src/quantlib/core.py", LINT_ERROR)
    report = repo / "reports" / "check.xml"

    ran = qdev(repo, "check", "format", "lint", "--format", "junit", "--output", str(report))

    assert ran.code == 1
    cases = {case.get("name"): case for case in ET.parse(report).getroot().iter("testcase")}
    assert set(cases) == {"format", "lint"}
    assert cases["lint"].find("failure") is not None
    assert "lint" in ran.stdout
    assert "FAILED" in ran.stdout


def test_github_format_annotates_lint_errors_with_file_and_line(repo: Path) -> None:
    _append(repo / "src/quantlib/core.py", LINT_ERROR)
    line = (repo / "src/quantlib/core.py").read_text().splitlines().index("    import os") + 1

    ran = qdev(repo, "check", "lint", "--format", "github")

    assert ran.code == 1
    assert (
        f"::error file=src/quantlib/core.py,line={line},col=12,title=qdev check lint (F401)::"
        in ran.stdout
    )


def test_changed_lints_only_files_changed_against_the_default_branch(repo: Path) -> None:
    _append(repo / "src/quantlib/core.py", LINT_ERROR)  # an old problem on main
    git(repo, "commit", "-qam", "old problem", "--no-verify")  # the hook would refuse it
    git(repo, "switch", "-qc", "feature")
    (repo / "src/quantlib/extra.py").write_text('"""Extra."""\n\nimport sys\n')
    git(repo, "add", "src/quantlib/extra.py")
    git(repo, "commit", "-qm", "new module", "--no-verify")

    (repo / "src/quantlib/draft.py").write_text('"""Draft, not added yet."""\n\nimport os\n')
    changed = qdev(repo, "check", "lint", "--changed", "--format", "json")
    (repo / "src/quantlib/draft.py").unlink()
    everything = qdev(repo, "check", "lint", "--format", "json")
    against_head = qdev(repo, "check", "lint", "--base", "HEAD", "--format", "json")

    assert {f["path"] for f in changed.steps()["lint"]["findings"]} == {
        "src/quantlib/extra.py",
        "src/quantlib/draft.py",
    }
    assert {f["path"] for f in everything.steps()["lint"]["findings"]} == {
        "src/quantlib/extra.py",
        "src/quantlib/core.py",
    }
    assert against_head.code == 0
    assert against_head.steps()["lint"]["summary"] == "no changed Python files"


def test_fail_fast_reports_the_steps_it_stopped(repo: Path) -> None:
    failing = "def test_no() -> None:\n    assert 1 + 1 == 3\n"
    (repo / "tests" / "test_planted.py").write_text(failing)

    # One job: the test step (the heaviest) goes first and fails; nothing else starts.
    ran = qdev(
        repo, "check", "lint", "typecheck", "test", "--fail-fast", "--jobs", "1", "--format", "json"
    )

    statuses = {name: step["status"] for name, step in ran.steps().items()}
    assert ran.code == 1
    assert statuses == {"lint": "skipped", "typecheck": "skipped", "test": "failed"}
    assert "--fail-fast" in ran.steps()["lint"]["summary"]


def test_passes_answers_the_release_guard(repo: Path) -> None:
    ok, summary = passes(repo)
    _append(repo / "src/quantlib/core.py", LINT_ERROR)
    failing, why = passes(repo)

    assert ok, summary
    assert "not run" in summary  # the offline audit is visible, not hidden
    assert not failing
    assert "lint" in why


def test_matrix_runs_the_steps_under_each_python_through_nox(repo: Path) -> None:
    text = (repo / "qdev.toml").read_text()
    (repo / "qdev.toml").write_text(text.replace('["3.11", "3.12", "3.13"]', '["3.11", "3.12"]'))

    ran = qdev(repo, "check", "--matrix", "lint", "test")
    _append(repo / "src/quantlib/core.py", LINT_ERROR)
    failing = qdev(repo, "check", "--matrix", "lint")

    assert ran.code == 0, ran.stdout + ran.stderr
    out = ran.stdout + ran.stderr
    assert "Session check-3.11 was successful" in out
    assert "Session check-3.12 was successful" in out
    assert failing.code == 1


def test_check_from_a_subfolder_checks_the_whole_repo(repo: Path) -> None:
    ran = qdev(repo / "src" / "quantlib", "check", "lint", "--format", "json")

    assert ran.code == 0, ran.stderr
    assert ran.steps()["lint"]["status"] == "passed"
    assert (repo / ".qdev" / "cache" / "check").is_dir()


def test_a_terminal_gets_the_live_display_not_plain_lines(repo: Path) -> None:
    import shlex
    import shutil
    import sys

    from qdev.tools import process

    if shutil.which("script") is None:
        pytest.skip("util-linux `script` is needed to give qdev a terminal")
    command = shlex.join([sys.executable, "-m", "qdev", "check", "format", "lint", "--no-cache"])
    ran = process.run(["script", "-qec", command, "/dev/null"], cwd=repo, timeout=120)

    assert ran.returncode == 0, ran.output
    assert "\x1b[?25l" in ran.stdout  # rich's live display hides the cursor while it redraws
    assert "qdev check: lint started" not in ran.stdout
    assert ": 2 passed in" in ran.stdout
    assert "\x1b[32mpassed" in ran.stdout  # colour on a terminal


def test_matrix_refuses_flags_it_cannot_honour(repo: Path) -> None:
    ran = qdev(repo, "check", "--matrix", "--format", "json")

    assert ran.code == 2
    assert "--matrix does not go with --format" in ran.stderr


def test_the_generated_git_hook_runs_qdev_check(repo: Path) -> None:
    import os
    import sys

    from qdev.tools import process

    config = (repo / ".pre-commit-config.yaml").read_text()
    assert "entry: qdev check --step format" in config
    assert "entry: qdev check --step lint" in config
    _append(repo / "src/quantlib/core.py", LINT_ERROR)
    # The hook finds `qdev` on PATH, as it does where qdev is installed with `uv tool install`.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = process.child_env({"PATH": path})
    git(repo, "add", "--all")

    refused = process.run(["git", "commit", "-qm", "planted"], cwd=repo, env=env)
    core = repo / "src/quantlib/core.py"
    core.write_text(core.read_text().replace(LINT_ERROR, "\n\nVALUE = 1\n"))
    git(repo, "add", "--all")
    accepted = process.run(["git", "commit", "-qm", "fixed"], cwd=repo, env=env)

    assert refused.returncode != 0
    assert "F401" in refused.output
    assert "ruff check" in refused.output  # the hook's name, now run by qdev check lint
    assert accepted.returncode == 0, accepted.output


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_outside_a_terminal_each_step_is_shown_once(repo: Path, fmt: str) -> None:
    runs = [qdev(repo, "check", "format", "lint", "--format", fmt) for _ in range(2)]

    for ran in runs:  # a fresh run, then one the cache answers before the CLI loads
        assert ran.code == 0, ran.stdout + ran.stderr
        assert "qdev check: format" not in ran.stderr, ran.stderr
        table_rows = [line for line in ran.stdout.splitlines() if line.startswith("lint ")]
        assert len(table_rows) == 1, ran.stdout
    assert "(cached)" in runs[1].stdout
