"""How each step reads its tool's output into findings with file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qdev.check.model import Status
from qdev.check.steps import StepContext
from qdev.check.steps._pytest_output import failures, import_failures, uncovered
from qdev.check.steps._util import real_cause, uv_failure
from qdev.check.steps.audit import _judge_pip_audit
from qdev.check.steps.ruff import _diff_findings
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

    [finding] = failures(ctx, output)

    assert (finding.path, finding.line) == ("tests/test_a.py", 9)
    assert "test_sum failed: assert 3 == 4" in finding.message


def test_coverage_rows_point_at_the_first_uncovered_line(ctx: StepContext) -> None:
    rows = [
        "Name                 Stmts   Miss Branch BrPart  Cover   Missing",
        "src/pkg/core.py         10      3      2      1    70%   14-16, 20->22",
        "TOTAL                   10      3      2      1    70%",
    ]

    [finding] = uncovered(ctx, ctx.root / "no-report.json", rows)

    assert (finding.path, finding.line) == ("src/pkg/core.py", 14)
    assert "14-16, 20->22" in finding.message


def test_a_test_file_with_spaces_in_its_path_is_named_whole(ctx: StepContext) -> None:
    output = [
        "tests/odd dir/test_a.py:9: AssertionError",
        "FAILED tests/odd dir/test_a.py::test_sum[a b] - assert 3 == 4",
    ]

    [finding] = failures(ctx, output)

    assert (finding.path, finding.line) == ("tests/odd dir/test_a.py", 9)
    assert "test_sum[a b] failed" in finding.message


def test_coverage_findings_come_from_the_json_report_with_exact_paths(ctx: StepContext) -> None:
    report = ctx.root / "coverage.json"
    report.write_text(
        '{"files": {"src/pkg/odd name.py": {"executed_lines": [1, 2, 6], '
        '"missing_lines": [3, 4, 5, 9], "missing_branches": [[6, -1]]}, '
        '"src/pkg/full.py": {"executed_lines": [1], "missing_lines": []}}}'
    )
    table = ["src/pkg/odd name.py  7  4  43%   3-5, 9"]  # the table splits at the space

    [finding] = uncovered(ctx, report, table)

    assert (finding.path, finding.line) == ("src/pkg/odd name.py", 3)
    assert finding.message == "not covered: lines 3-5, 9; branches 6->exit"


def test_a_module_that_cannot_be_imported_is_named_with_its_exception(ctx: StepContext) -> None:
    output = [
        "==================================== ERRORS ====================================",
        "______________________ ERROR collecting tests/test_bad.py ______________________",
        "ImportError while importing test module '/repo/tests/test_bad.py'.",
        "Traceback:",
        "/usr/lib/python3.11/importlib/__init__.py:126: in import_module",
        "    return _bootstrap._gcd_import(name[level:], package, level)",
        "tests/test_bad.py:3: in <module>",
        "    import nope",
        "E   ModuleNotFoundError: No module named 'nope'",
        "=========================== short test summary info ============================",
        "ERROR tests/test_bad.py",
        "ImportError while loading conftest '" + str(ctx.root / "tests/conftest.py") + "'.",
        "tests/conftest.py:1: in <module>",
        "    import pandas",
        "E   ModuleNotFoundError: No module named 'pandas'",
    ]

    found = import_failures(ctx, output)

    assert [(f.path, f.line, f.message) for f in found] == [
        ("tests/test_bad.py", 3, "ModuleNotFoundError: No module named 'nope'"),
        ("tests/conftest.py", 1, "ModuleNotFoundError: No module named 'pandas'"),
    ]


@pytest.mark.parametrize(
    ("stdout", "stderr", "cause"),
    [
        (
            "===== test session starts =====\nplatform linux\n",
            "INTERNALERROR> Traceback\nINTERNALERROR> ValueError: bad plugin\n",
            "INTERNALERROR> ValueError: bad plugin",
        ),
        (
            "--- docs/a.py\n+++ docs/a.py\n@@ -1 +1 @@\n",
            "error: Failed to parse docs/conf.py:1:12: Expected a parameter\n"
            "1 file would be reformatted\n",
            "error: Failed to parse docs/conf.py:1:12: Expected a parameter",
        ),
        (
            "",
            "ERROR: usage: pytest [options]\n"
            "pytest: error: unrecognized arguments: --bogus\n  rootdir: /r\n",
            "pytest: error: unrecognized arguments: --bogus",
        ),
        ("=====\nsomething odd happened\n=====\n", "", "something odd happened"),
        ("", "", "no output"),
    ],
)
def test_the_real_cause_is_the_error_not_the_banner(stdout: str, stderr: str, cause: str) -> None:
    assert real_cause(stdout, stderr) == cause


def test_a_uv_failure_reads_as_its_error_and_causes() -> None:
    stderr = (
        "warning: Failed to parse `pyproject.toml` during settings discovery:\n"
        "error: Failed to parse: pyproject.toml\n"
        "  cause: TOML parse error at line 6, column 8\n"
        "           |\n"
        "         6 | name = quantlib\n"
        "           |        ^^^^^^^^\n"
        "         string values must be quoted, expected literal string\n"
        "\nhint: quote it\n"
    )

    assert uv_failure(stderr) == (
        "Failed to parse: pyproject.toml; TOML parse error at line 6, column 8; "
        "string values must be quoted, expected literal string"
    )


def _audit(deps: list[dict[str, Any]], ctx: StepContext) -> Any:
    return _judge_pip_audit(ctx, {"dependencies": deps}, "", ["pip-audit"])


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
    assert outcome.summary.startswith(
        "the vulnerability service did not answer for 1 of the 2 locked packages (jinja2: "
    )


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
