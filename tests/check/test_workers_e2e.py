"""The test step spread over workers says what one pytest process says: the same findings and
summary for broken modules, failing tests and coverage, with coverage combined from every
worker, and each test module imported by one worker only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .check_helpers import qdev

pytestmark = pytest.mark.e2e

# Each module notes who imported it, so the test can tell which worker collected it.
NOTE = (
    "import os\n"
    "with open(os.environ['IMPORT_LOG'], 'a') as log:\n"
    "    log.write(f'{{__name__}} {{os.getpid()}}\\n')\n"
)
# Each test file runs a module of its own: coverage misses it unless every worker's data counts.
PASSING = NOTE + (
    "from quantlib.part_{name} import value\n\n\n"
    "def test_value_{name}() -> None:\n"
    "    assert value() == {n}\n"
)
FAILING = NOTE + (
    "from quantlib.part_{name} import value\n\n\n"
    "def test_value_{name}() -> None:\n"
    "    assert value() == {n} + 100\n"
)
NAMES = "abcdef"


def _write_suite(repo: Path, failing: str = "", broken: str = "") -> None:
    for n, name in enumerate(NAMES):
        part = repo / "src" / "quantlib" / f"part_{name}.py"
        part.write_text(f"def value() -> int:\n    return {n}\n", encoding="utf-8")
        text = (FAILING if name in failing else PASSING).format(name=name, n=n)
        if name in broken:
            text = "import no_such_module\n" + text
        (repo / "tests" / f"test_{name}.py").write_text(text, encoding="utf-8")


def _test_step(repo: Path, workers: int, log: Path) -> dict[str, Any]:
    env = {"QDEV_CHECK__TEST__WORKERS": str(workers), "IMPORT_LOG": str(log)}
    ran = qdev(repo, "check", "test", "--format", "json", env=env)
    step: dict[str, Any] = ran.steps()["test"]
    assert (ran.code == 0) == (step["status"] == "passed"), ran.stdout + ran.stderr
    return step


def _same_verdict(one: dict[str, Any], two: dict[str, Any]) -> None:
    assert two["status"] == one["status"]
    assert two["findings"] == one["findings"]
    if one["status"] != "passed":
        assert two["summary"] == one["summary"]
    else:  # the closing line's counts; its time differs
        assert two["summary"].split(" in ")[0] == one["summary"].split(" in ")[0]


def test_two_workers_report_what_one_pytest_reports(repo: Path, tmp_path: Path) -> None:
    logs = {workers: tmp_path / f"imports-{workers}.log" for workers in (1, 2)}

    _write_suite(repo, failing="be", broken="d")
    broken = [_test_step(repo, workers, logs[workers]) for workers in (1, 2)]
    _write_suite(repo, failing="be")
    failing = [_test_step(repo, workers, logs[workers]) for workers in (1, 2)]
    _write_suite(repo)
    with (repo / "qdev.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[check]\ncoverage = 100\n")
    (repo / "src" / "quantlib" / "extra.py").write_text(
        "def unused(x: int) -> int:\n    return x + 1\n", encoding="utf-8"
    )
    short = [_test_step(repo, workers, logs[workers]) for workers in (1, 2)]

    assert broken[0]["summary"].startswith("tests/test_d.py could not be imported")
    _same_verdict(*broken)
    assert failing[0]["summary"] == "2 failing tests"
    assert {f["path"] for f in failing[0]["findings"]} == {"tests/test_b.py", "tests/test_e.py"}
    _same_verdict(*failing)
    assert "[worker 2 of 2:" in failing[1]["output"]
    assert "[worker" not in failing[0]["output"]
    # every worker's coverage counts: each part_* module is run by one worker only
    assert "under the required 100%" in short[0]["summary"]
    assert ("src/quantlib/extra.py", 1) in [(f["path"], f["line"]) for f in short[0]["findings"]]
    _same_verdict(*short)
    assert short[1]["cpu_seconds"] > 0


def test_each_test_module_is_imported_by_one_worker_only(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "imports.log"
    _write_suite(repo)

    step = _test_step(repo, 2, log)

    assert step["status"] == "passed"
    assert step["summary"].startswith(f"{len(NAMES) + 3} passed in ")  # and the template's 3
    imports = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    modules = [module for module, _ in imports]
    assert sorted(modules) == sorted(f"test_{name}" for name in NAMES)
    assert len({pid for _, pid in imports}) == 2
