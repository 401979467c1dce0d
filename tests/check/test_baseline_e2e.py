"""Old findings block nobody: the git hook checks the files being committed, and findings
recorded in `.qdev/baseline.json` are counted, not failed. Tried on a repo adopted with
hundreds of ruff findings, committing through the real pre-commit hook."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.tools import process

from .check_helpers import git, qdev

pytestmark = pytest.mark.e2e

LEGACY = "src/quantlib/legacy.py"
FUNCTIONS = 100  # three lint findings each, and the file is not formatted


def _legacy_module() -> str:
    lines = ["import os", "import sys", "import json", ""]
    for n in range(FUNCTIONS):
        lines += [f"def scale_{n}(x):", "    l = x == None", "    y = json", "    return l", ""]
    return "\n".join(lines) + "\n"


def _commit(repo: Path, message: str) -> process.ProcessResult:
    """`git commit` through the installed hook, which finds `qdev` on PATH (as after
    `uv tool install qdev`)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    git(repo, "add", "--all")
    return process.run(
        ["git", "commit", "-qm", message], cwd=repo, env=process.child_env({"PATH": path})
    )


def _lint(repo: Path) -> dict[str, object]:
    ran = qdev(repo, "check", "lint", "--format", "json")
    return ran.steps()["lint"]


@pytest.fixture
def adopted(repo: Path, commit: Callable[[Path, str], None]) -> Path:
    """The repo with a legacy module of 300 lint findings, committed before qdev's hook."""
    (repo / LEGACY).write_text(_legacy_module())
    git(repo, "add", "--all")
    git(repo, "commit", "-qm", "legacy code", "--no-verify")
    return repo


def test_after_baselining_only_new_findings_block_a_commit(adopted: Path) -> None:
    known = 3 * FUNCTIONS + 3  # three in each function, three in the imports
    with (adopted / "README.md").open("a") as handle:
        handle.write("\nThe legacy helpers scale prices.\n")
    # The hook checks the files being committed: the old findings elsewhere do not block.
    assert _commit(adopted, "docs: before any baseline").returncode == 0
    assert _lint(adopted)["summary"] == f"{known} lint problems"
    recorded = qdev(adopted, "check", "--update-baseline", "format", "lint", "secrets")
    assert recorded.code == 0, recorded.stdout + recorded.stderr
    assert f"baseline: {known + 1} known findings (format 1, lint {known})" in recorded.stderr
    assert _commit(adopted, "record the known findings").returncode == 0

    with (adopted / "README.md").open("a") as handle:
        handle.write("\nHow to run the legacy helpers.\n")
    readme = _commit(adopted, "docs: a README edit")

    legacy = adopted / LEGACY
    legacy.write_text('"""Legacy helpers."""\n\n' + legacy.read_text())  # moves every finding
    moved = _commit(adopted, "docs: a module docstring above the known findings")

    legacy.write_text(
        legacy.read_text() + "\n\ndef fresh(prices):\n    import re\n    return prices\n"
    )
    new = _commit(adopted, "feat: new code with a new finding")

    assert readme.returncode == 0, readme.output
    assert moved.returncode == 0, moved.output
    assert new.returncode != 0
    assert "F401" in new.output
    assert "`re` imported but unused" in new.output
    assert "E711" not in new.output  # the known ones are a count, not a list
    assert f"1 new problem; {known} known (baseline)" in new.output


def test_fixing_a_known_finding_lowers_the_count(adopted: Path) -> None:
    assert qdev(adopted, "check", "--update-baseline", "lint").code == 0
    before = _lint(adopted)
    legacy = adopted / LEGACY
    legacy.write_text(legacy.read_text().replace("l = x == None", "l = x is None", 1))

    after = _lint(adopted)
    everything = qdev(adopted, "check", "lint", "--no-baseline", "--format", "json")
    recorded_again = qdev(adopted, "check", "--update-baseline", "lint")

    assert before["status"] == after["status"] == "passed"
    assert after["known"] == before["known"] - 1  # type: ignore[operator]
    assert str(after["summary"]).endswith("known (baseline), 1 fixed since")
    assert everything.code == 1
    assert everything.steps()["lint"]["known"] == 0
    assert f"lint {before['known'] - 1}" in recorded_again.stderr  # type: ignore[operator]
