"""`qdev check [STEP|FILE]...` and `--staged`: a run about some files, as the git hook asks."""

from __future__ import annotations

from pathlib import Path

import pytest

from .check_helpers import git, qdev

pytestmark = pytest.mark.e2e

UNUSED = '"""{name}."""\n\nimport os\n'


def _paths(ran_step: dict[str, object]) -> set[str]:
    return {f["path"] for f in ran_step["findings"]}  # type: ignore[attr-defined]


def test_named_files_and_staged_files_narrow_format_lint_and_secrets(repo: Path) -> None:
    for name in ("staged", "named", "other"):
        (repo / f"src/quantlib/{name}.py").write_text(UNUSED.format(name=name))
    (repo / "docs").mkdir()
    (repo / "docs/setup.md").write_text("export AWS_KEY=AKIAIOSFODNN7EXAMPLX\n")
    with (repo / "qdev.toml").open("a") as handle:
        handle.write('\n[check.secrets]\nallowlist = ["docs/**", ".qdev/state.toml"]\n')
    git(repo, "add", "src/quantlib/staged.py")

    named = qdev(repo, "check", "lint", "secrets", "src/quantlib/named.py", "docs", "-f", "json")
    staged = qdev(repo, "check", "lint", "--staged", "--format", "json")
    from_a_folder = qdev(repo / "src", "check", "lint", "quantlib/named.py", "-f", "json")
    (repo / "lint").write_text("import os\n")  # a file named like a step, as the hook passes it
    hook_form = qdev(repo, "check", "--step", "format", "lint", "--format", "json")

    assert named.code == 1, named.stdout + named.stderr
    assert _paths(named.steps()["lint"]) == {"src/quantlib/named.py"}
    # an allowlisted path stays out of the scan even when it is named
    assert named.steps()["secrets"]["summary"] == "1 file clean"
    assert _paths(staged.steps()["lint"]) == {"src/quantlib/staged.py"}
    assert _paths(from_a_folder.steps()["lint"]) == {"src/quantlib/named.py"}
    assert list(hook_form.steps()) == ["format"]
    assert hook_form.steps()["format"]["summary"] == "no changed Python files"


def test_a_baseline_is_never_recorded_from_part_of_the_repo(repo: Path) -> None:
    narrowed_baseline = qdev(repo, "check", "--update-baseline", "README.md")

    assert narrowed_baseline.code == 2
    assert "--update-baseline records the whole repo" in narrowed_baseline.stderr
