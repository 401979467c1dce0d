"""The machine formats: JSON that follows its documented schema, JUnit with one test case per
step, GitHub annotations with file and line plus a job summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qdev.check.model import CheckRun, Finding, Status, StepResult
from qdev.check.reporters import render
from qdev.check.reporters.github import annotation
from qdev.check.reporters.json_report import SCHEMA

RUN = CheckRun(
    [
        StepResult("format", Status.PASSED, "formatted", 0.1, cached=True),
        StepResult(
            "lint", Status.FAILED, "1 lint problem", 0.2,
            findings=(Finding("`os` imported but unused", "src/a.py", 3, 8, "F401"),),
            output="src/a.py:3:8: F401 `os` imported but unused", command=("ruff", "check"),
        ),
        StepResult("audit", Status.NOT_RUN, "49 of 49 locked packages could not be audited", 4.0),
        StepResult("docs", Status.SKIPPED, "needs lint, which did not pass"),
    ],
    4.5,
)  # fmt: skip

statuses = st.sampled_from(list(Status))
findings = st.builds(
    Finding,
    st.text(),
    st.none() | st.text(min_size=1),
    st.none() | st.integers(1, 10_000),
    st.none() | st.integers(1, 500),
    st.none() | st.text(min_size=1),
)
results = st.builds(
    StepResult,
    st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True),
    statuses,
    st.text(),
    st.floats(0, 1e4),
    st.booleans(),
    st.lists(findings, max_size=3).map(tuple),
    st.text(),
    st.lists(st.text(), max_size=3).map(tuple),
)


def test_json_report_follows_the_schema() -> None:
    report = json.loads(render(RUN, "json"))

    jsonschema.validate(report, SCHEMA)
    assert report["ok"] is False
    assert report["exit_code"] == 1
    assert report["counts"] == {"passed": 1, "failed": 1, "not_run": 1, "skipped": 1, "cached": 1}
    finding = {"message": "`os` imported but unused", "path": "src/a.py", "line": 3, "column": 8}
    assert report["steps"][1]["findings"][0] == {**finding, "code": "F401"}


@given(st.lists(results, max_size=5))
def test_any_run_renders_to_valid_json_and_back(steps: list[StepResult]) -> None:
    report = json.loads(render(CheckRun(steps, 1.0), "json"))

    jsonschema.validate(report, SCHEMA)
    assert [StepResult.from_json(step) for step in report["steps"]] == steps


def test_junit_has_one_test_case_per_step() -> None:
    suites = ET.fromstring(render(RUN, "junit"))

    cases = {case.get("name"): case for case in suites.iter("testcase")}
    assert list(cases) == ["format", "lint", "audit", "docs"]
    assert suites.get("failures") == "1"
    assert suites.get("skipped") == "2"
    failure = cases["lint"].find("failure")
    assert failure is not None
    assert "src/a.py:3:8" in (failure.text or "")
    skipped = cases["audit"].find("skipped")
    assert skipped is not None
    assert (skipped.get("message") or "").startswith("not run:")


def test_github_annotations_carry_file_line_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    out = render(RUN, "github")

    assert (
        "::error file=src/a.py,line=3,col=8,title=qdev check lint (F401)::`os` imported but unused"
        in out
    )
    assert "::warning title=qdev check audit::not run: 49 of 49" in out
    assert "::group::qdev check lint: FAILED" in out
    written = summary.read_text()
    assert written.startswith("earlier step\n")  # appended, never replaced
    assert "| lint | ❌ FAILED |" in written


def test_github_annotation_escapes_newlines_and_separators() -> None:
    line = annotation("test", Finding("first\nsecond 100%", "dir,x/a:b.py", 2))

    assert (
        line == "::error file=dir%2Cx/a%3Ab.py,line=2,title=qdev check test::first%0Asecond 100%25"
    )


def test_text_report_groups_failed_output_and_closes_with_a_table() -> None:
    out = render(RUN, "text")

    assert out.index("── lint: FAILED") < out.index("step ")
    assert "passed (cached)" in out
    assert "NOT RUN" in out
    assert (
        out.rstrip()
        .splitlines()[-1]
        .startswith("qdev check FAILED: 1 passed, 1 failed, 1 not run, 1 skipped")
    )
