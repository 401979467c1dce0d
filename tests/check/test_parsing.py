"""How each step reads its tool's output into findings with file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qdev.check.model import Status
from qdev.check.steps import StepContext
from qdev.check.steps.audit import _judge
from qdev.check.steps.ruff import _diff_findings
from qdev.check.steps.test import _failures, _uncovered
from qdev.check.steps.typecheck import MYPY_LINE, pyright_findings
from qdev.config.models import QdevConfig
from qdev.tools.process import ChildGroup


@pytest.fixture
def ctx(tmp_path: Path) -> StepContext:
    (tmp_path / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "jinja2"\nversion = "2.0"\n'
    )
    return StepContext(tmp_path, tmp_path / ".venv", QdevConfig(), [], ChildGroup())


def test_ruff_format_diff_hunks_become_findings(ctx: StepContext) -> None:
    diff = "--- src/pkg/a.py\n+++ src/pkg/a.py\n@@ -12,7 +12,7 @@\n-x=1\n+x = 1\n@@ -40 +40 @@\n"

    found = [(f.path, f.line) for f in _diff_findings(ctx, diff)]

    assert found == [("src/pkg/a.py", 12), ("src/pkg/a.py", 40)]


def test_mypy_error_lines_are_parsed_with_column_and_code() -> None:
    line = 'src/pkg/a.py:7:12: error: Incompatible return value type (got "str")  [return-value]'

    match = MYPY_LINE.match(line)

    assert match is not None
    assert (match["path"], match["line"], match["col"], match["code"]) == (
        "src/pkg/a.py",
        "7",
        "12",
        "return-value",
    )
    assert MYPY_LINE.match("src/pkg/a.py:7: note: See https://mypy.readthedocs.io") is None


def test_pytest_failures_pair_the_traceback_line_with_the_test(ctx: StepContext) -> None:
    output = [
        "tests/test_a.py:9: AssertionError",
        "=========================== short test summary info ============================",
        "FAILED tests/test_a.py::test_sum - assert 3 == 4",
    ]

    [finding] = _failures(ctx, output)

    assert (finding.path, finding.line) == ("tests/test_a.py", 9)
    assert "test_sum failed: assert 3 == 4" in finding.message


def test_coverage_rows_point_at_the_first_uncovered_line(ctx: StepContext) -> None:
    rows = [
        "Name                 Stmts   Miss Branch BrPart  Cover   Missing",
        "src/pkg/core.py         10      3      2      1    70%   14-16, 20->22",
        "TOTAL                   10      3      2      1    70%",
    ]

    [finding] = _uncovered(ctx, rows)

    assert (finding.path, finding.line) == ("src/pkg/core.py", 14)
    assert "14-16, 20->22" in finding.message


def _audit(deps: list[dict[str, Any]], ctx: StepContext) -> Any:
    return _judge(ctx, {"dependencies": deps}, "", ["pip-audit"])


def test_an_audit_that_could_not_ask_the_service_is_not_run_never_passed(ctx: StepContext) -> None:
    deps: list[dict[str, Any]] = [
        {
            "name": "jinja2",
            "skip_reason": "Dependency not found on PyPI and could not be audited: jinja2 (2.0)",
        },
        {"name": "idna", "version": "3.0", "vulns": []},
    ]

    outcome = _audit(deps, ctx)

    assert outcome.status is Status.NOT_RUN
    assert "1 of 2 locked packages could not be audited" in outcome.summary


def test_a_known_vulnerability_fails_the_audit_at_the_lock_line(ctx: StepContext) -> None:
    deps = [
        {"name": "jinja2", "version": "2.0", "vulns": [{"id": "PYSEC-1", "fix_versions": ["2.11"]}]}
    ]

    outcome = _audit(deps, ctx)

    assert outcome.status is Status.FAILED
    assert (outcome.findings[0].path, outcome.findings[0].line) == ("uv.lock", 4)
    assert "fixed in 2.11" in outcome.findings[0].message


def test_a_clean_audit_of_every_package_passes(ctx: StepContext) -> None:
    assert _audit([{"name": "idna", "version": "3.0", "vulns": []}], ctx).status is Status.PASSED


def test_pyright_diagnostics_count_lines_from_one(ctx: StepContext) -> None:
    report = {
        "generalDiagnostics": [
            {
                "file": str(ctx.root / "src" / "a.py"),
                "severity": "error",
                "message": 'Type "str" is not assignable to return type "int"',
                "range": {
                    "start": {"line": 6, "character": 11},
                    "end": {"line": 6, "character": 17},
                },
                "rule": "reportReturnType",
            },
            {"file": "b.py", "severity": "warning", "message": "unused", "range": {}},
        ]
    }

    [finding] = pyright_findings(ctx, report)

    assert (finding.path, finding.line, finding.column, finding.code) == (
        "src/a.py",
        7,
        12,
        "reportReturnType",
    )
