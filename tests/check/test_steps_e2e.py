"""Each step passes on a new `qdev init` repo, and fails with file and line on a planted problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .check_helpers import git, qdev

pytestmark = pytest.mark.e2e

CORE = Path("src/quantlib/core.py")


def _append(repo: Path, path: str | Path, text: str) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as handle:
        handle.write(text)


def _line_of(repo: Path, path: str | Path, needle: str) -> int:
    lines = (repo / path).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def test_every_step_passes_on_a_fresh_repo_and_the_offline_audit_is_not_run(repo: Path) -> None:
    ran = qdev(repo, "check", "--format", "json")
    text = qdev(repo, "check")

    assert ran.code == 0, ran.stdout + ran.stderr
    statuses = {name: step["status"] for name, step in ran.steps().items()}
    assert statuses == {
        "format": "passed", "lint": "passed", "typecheck": "passed", "test": "passed",
        "audit": "not_run", "secrets": "passed", "lock": "passed",
    }  # fmt: skip
    # The vulnerability service is not reachable from this machine: never shown as a pass.
    assert "could not be reached" in ran.steps()["audit"]["summary"]
    assert ran.json()["counts"]["not_run"] == 1
    # Checking again soon answers from the cache, and still says the audit did not run.
    assert text.code == 0
    assert "NOT RUN (cached)" in text.stdout
    assert "6 passed, 1 not run" in text.stdout


@pytest.mark.parametrize(
    ("step", "path", "plant", "needle", "code"),
    [
        ("lint", CORE, "\n\ndef unused() -> None:\n    import os\n", "import os", "F401"),
        (
            "typecheck",
            CORE,
            '\n\ndef wrong() -> int:\n    return "text"\n',
            'return "text"',
            "return-value",
        ),
        (
            "test",
            "tests/test_planted.py",
            "from quantlib.core import simple_returns\n\n\ndef test_planted() -> None:\n"
            "    assert simple_returns([1.0, 2.0]) == [2.0]\n",
            "assert simple_returns",
            None,
        ),
        (
            "secrets",
            "src/quantlib/settings.py",
            'AWS_KEY = "AKIAIOSFODNN7EXAMPLX"\n',
            "AKIA",
            "AWS Access Key",
        ),
        ("format", CORE, "\n\nVALUES = [1,2,   3]\n", "VALUES", None),
    ],
)
def test_planted_problem_fails_its_step_with_file_and_line(
    repo: Path, step: str, path: str | Path, plant: str, needle: str, code: str | None
) -> None:
    _append(repo, path, plant)
    if step == "secrets":
        git(repo, "add", str(path))  # the scan covers tracked files

    ran = qdev(repo, "check", step, "--format", "json")

    assert ran.code == 1, ran.stdout + ran.stderr
    result = ran.steps()[step]
    assert result["status"] == "failed"
    expected = (Path(path).as_posix(), _line_of(repo, path, needle))
    located = [(f["path"], f["line"]) for f in result["findings"]]
    if step == "format":  # a hunk starts a little before the changed line
        assert any(
            p == expected[0] and expected[1] - 3 <= line <= expected[1] for p, line in located
        ), located
    else:
        assert expected in located, located
    if code:
        assert any(f["code"] == code for f in result["findings"])


def test_coverage_under_the_threshold_fails_with_the_uncovered_lines(repo: Path) -> None:
    _append(repo, CORE, "\n\ndef untested(x: int) -> int:\n    y = x * 2\n    return y + 1\n")

    _append(repo, "qdev.toml", "\n[check]\ncoverage = 99\n")
    ran = qdev(repo, "check", "test", "--format", "json")

    assert ran.code == 1
    result = ran.steps()["test"]
    assert "under the required 99" in result["summary"]
    assert (CORE.as_posix(), _line_of(repo, CORE, "y = x * 2")) in [
        (f["path"], f["line"]) for f in result["findings"]
    ]


def test_stale_lock_fails_and_names_the_lock(repo: Path) -> None:
    text = (repo / "pyproject.toml").read_text(encoding="utf-8")
    (repo / "pyproject.toml").write_text(
        text.replace("dependencies = []", 'dependencies = ["packaging"]')
    )

    ran = qdev(repo, "check", "lock", "--format", "json")

    assert ran.code == 1
    result = ran.steps()["lock"]
    assert result["status"] == "failed"
    assert result["findings"][0]["path"] == "uv.lock"
    assert result["findings"][0]["line"] == 1
    assert "uv lock" in result["findings"][0]["message"]


def test_fix_formats_and_fixes_then_the_check_passes(
    repo: Path, commit: Callable[[Path, str], None]
) -> None:
    _append(repo, CORE, "\n\nVALUES = [1,2,   3]\n")

    fixed = qdev(repo, "check", "format", "lint", "--fix")
    again = qdev(repo, "check", "format", "lint")

    assert fixed.code == 0, fixed.stdout
    assert "VALUES = [1, 2, 3]" in (repo / CORE).read_text()
    assert again.code == 0


def test_allowlisted_secrets_pass_by_hash_or_by_path(repo: Path) -> None:
    _append(repo, "src/quantlib/settings.py", 'AWS_KEY = "AKIAIOSFODNN7EXAMPLX"\n')
    _append(repo, "tests/fixtures/keys.txt", "AKIAIOSFODNN7EXAMPLY\n")
    git(repo, "add", "--all")
    found = qdev(repo, "check", "secrets", "--format", "json").steps()["secrets"]["findings"]
    hashes = {f["path"]: f["message"].split("hash ")[1].split()[0] for f in found}

    # A repo's list replaces the profile's, which allowlists qdev's own state file.
    allow = ["tests/fixtures/**", ".qdev/state.toml", hashes["src/quantlib/settings.py"]]
    _append(repo, "qdev.toml", f"\n[check.secrets]\nallowlist = {allow!r}\n".replace("'", '"'))
    ran = qdev(repo, "check", "secrets")

    assert set(hashes) == {"src/quantlib/settings.py", "tests/fixtures/keys.txt"}
    assert ran.code == 0, ran.stdout


def test_a_new_file_is_scanned_before_it_is_added_but_an_ignored_one_never(repo: Path) -> None:
    _append(repo, "src/quantlib/broker.py", 'AWS_KEY = "AKIAIOSFODNN7EXAMPLX"\n')
    _append(repo, ".env", 'AWS_KEY = "AKIAIOSFODNN7EXAMPLY"\n')
    _append(repo, ".gitignore", "\n.env\n")

    ran = qdev(repo, "check", "secrets", "--format", "json")

    assert ran.code == 1, ran.stdout
    assert {f["path"] for f in ran.steps()["secrets"]["findings"]} == {"src/quantlib/broker.py"}


def test_hashes_in_the_allowlist_are_not_reported_as_secrets_themselves(repo: Path) -> None:
    # Real hashes from a run on qdev's own repo, where each was flagged as a high-entropy string.
    allow = [
        "6a9f6c3fff9581a22ef10cabd544143e37c61b4f",
        "049ef97a991813ba80315268b00f2a92eb597ec6",
        "1a91d62f7ca67399625a4368a6ab5d4a3baa6073",
    ]
    _append(repo, "qdev.toml", "\n[check.secrets]\nallowlist = [\n")
    _append(repo, "qdev.toml", "".join(f'  "{entry}",\n' for entry in allow) + "]\n")
    git(repo, "add", "--all")

    ran = qdev(repo, "check", "secrets", "--format", "json")

    assert ran.code == 0, ran.stdout
    assert ran.steps()["secrets"]["findings"] == []


def test_plain_progress_lines_go_to_stderr_in_ci(repo: Path) -> None:
    ran = qdev(repo, "check", "format", "lint", "--format", "json")

    assert ran.code == 0
    assert "qdev check: lint started" in ran.stderr
    assert "qdev check: lint passed in" in ran.stderr
    assert ran.json()["ok"] is True  # stdout holds the report and nothing else


def test_a_lock_check_that_cannot_reach_the_index_is_not_run(repo: Path) -> None:
    text = (repo / "pyproject.toml").read_text(encoding="utf-8")
    (repo / "pyproject.toml").write_text(
        text.replace("dependencies = []", 'dependencies = ["qdev-nowhere-zz"]')
    )

    # uv's own switch stands in for a network failure.
    ran = qdev(repo, "check", "lock", "--format", "json", env={"UV_OFFLINE": "1"})

    assert ran.code == 0
    assert ran.steps()["lock"]["status"] == "not_run"
    assert "could not reach the package index" in ran.steps()["lock"]["summary"]
