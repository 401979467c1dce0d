"""The baseline: known findings matched robustly (not by line number), new ones kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qdev.check import baseline
from qdev.check.model import CheckRun, Finding, Status, StepResult
from qdev.errors import ConfigError

CODE = ["import os", "", "def f(x):", "    l = x == None", "    return l", ""]


def _lint(*findings: Finding) -> CheckRun:
    status = Status.FAILED if findings else Status.PASSED
    summary = f"{len(findings)} lint problems" if findings else "no lint problems"
    return CheckRun([StepResult("lint", status, summary, findings=findings)])


def _findings(lines: list[str]) -> tuple[Finding, ...]:
    """What a linter would say about `lines`: one finding per known pattern, at its line."""
    rules = {"import os": ("F401", "`os` imported but unused"), "== None": ("E711", "use is")}
    found = []
    for number, line in enumerate(lines, 1):
        for needle, (code, message) in rules.items():
            if needle in line:
                found.append(Finding(message, "a.py", number, 1, code))
    return tuple(found)


def _judge(root: Path, lines: list[str]) -> StepResult:
    (root / "a.py").write_text("\n".join(lines) + "\n")
    known = baseline.load(root)
    assert known is not None
    return baseline.apply(root, _lint(*_findings(lines)), known, ["lint"], None).results[0]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "a.py").write_text("\n".join(CODE) + "\n")
    recorded = baseline.record(tmp_path, _lint(*_findings(CODE)), ["lint"], None)
    assert recorded.counts() == {"lint": 2}
    return tmp_path


def test_unchanged_findings_are_known_and_pass(root: Path) -> None:
    result = _judge(root, CODE)

    assert (result.status, result.known, result.findings) == (Status.PASSED, 2, ())
    assert result.summary == "no new problems; 2 known (baseline)"


@given(st.integers(min_value=1, max_value=40))
def test_an_edit_above_known_findings_does_not_make_them_new(
    tmp_path_factory: pytest.TempPathFactory, above: int
) -> None:
    root = tmp_path_factory.mktemp("repo")
    (root / "a.py").write_text("\n".join(CODE) + "\n")
    baseline.record(root, _lint(*_findings(CODE)), ["lint"], None)

    result = _judge(root, ["# a comment"] * above + CODE)

    assert (result.status, result.known) == (Status.PASSED, 2)


def test_a_new_finding_fails_alone_with_the_known_count(root: Path) -> None:
    result = _judge(root, [*CODE, "def g(y):", "    return y == None"])

    assert result.status is Status.FAILED
    assert [(f.line, f.code) for f in result.findings] == [(len(CODE) + 2, "E711")]
    assert result.summary == "1 new problem; 2 known (baseline)"


def test_a_second_copy_of_a_known_finding_is_new(root: Path) -> None:
    result = _judge(root, ["import os", *CODE])

    assert result.status is Status.FAILED
    assert len(result.findings) == 1


def test_fixing_one_lowers_the_count_and_says_so(root: Path) -> None:
    fixed = [line.replace("x == None", "x is None") for line in CODE]

    result = _judge(root, fixed)

    assert (result.status, result.known) == (Status.PASSED, 1)
    assert result.summary == "no new problems; 1 known (baseline), 1 fixed since"


def test_a_failure_no_finding_explains_is_never_excused(root: Path) -> None:
    known = baseline.load(root)
    assert known is not None
    run = CheckRun([StepResult("lint", Status.FAILED, "ruff exited with 2: boom")])

    assert baseline.apply(root, run, known, ["lint"], None) == run


def test_a_narrowed_run_counts_only_the_files_it_looked_at(root: Path) -> None:
    known = baseline.load(root)
    assert known is not None
    (root / "b.py").write_text("x = 1\n")
    run = CheckRun([StepResult("lint", Status.PASSED, "no lint problems")])

    result = baseline.apply(root, run, known, ["lint"], ["b.py"]).results[0]

    assert result.summary == "no lint problems"  # a.py's findings are not "fixed"


def test_steps_not_in_a_new_recording_keep_their_known_findings(root: Path) -> None:
    previous = baseline.load(root)
    run = CheckRun([StepResult("format", Status.FAILED, "1", findings=(Finding("x", "a.py", 1),))])

    recorded = baseline.record(root, run, ["format"], previous)

    assert recorded.counts() == {"format": 1, "lint": 2}
    assert baseline.load(root) == recorded
    assert json.loads((root / baseline.BASELINE).read_text())["version"] == 1


@pytest.mark.parametrize("text", ["{", '{"version": 9, "steps": {}}', '{"version": 1}', "[]"])
def test_a_damaged_baseline_is_a_config_error_naming_the_file(root: Path, text: str) -> None:
    (root / baseline.BASELINE).write_text(text)

    with pytest.raises(ConfigError) as raised:
        baseline.load(root)

    assert "baseline.json" in raised.value.render()
    assert "--update-baseline" in raised.value.render()
