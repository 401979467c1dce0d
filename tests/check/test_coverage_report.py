"""The test step's coverage report: the workers' data combined, judged as pytest-cov judges."""

from __future__ import annotations

import json
from pathlib import Path

import coverage
import pytest

from qdev.check.steps._coverage_report import main

MODULE = "def used(x):\n    return x + 1\n\n\ndef unused(x):\n    return x - 1\n"


def _data(path: Path, source: Path, lines: list[int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = coverage.CoverageData(basename=str(path))
    data.add_lines({str(source): lines})
    data.write()
    return path


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # coverage reads its config from here: none
    module = tmp_path / "m.py"
    module.write_text(MODULE)
    return module


def test_workers_data_are_combined_before_the_total_is_judged(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = _data(tmp_path / "w0" / ".coverage", source, [1, 2, 5])
    two = _data(tmp_path / "w1" / ".coverage", source, [1, 5, 6])

    code = main(
        ["--data", str(tmp_path / "all"), "--fail-under", "100", "--json", "j", str(one), str(two)]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "Required test coverage of 100% reached. Total coverage: 100.00%" in out
    assert not (tmp_path / "j").exists()  # only written when short


def test_a_shortfall_is_said_in_pytest_cov_s_words_with_a_json_report(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    part = _data(tmp_path / "w0" / ".coverage", source, [1, 2, 5])

    code = main(
        ["--data", str(tmp_path / "all"), "--fail-under", "80", "--json", "j.json", str(part)]
    )

    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL Required test coverage of 80% not reached. Total coverage: 75.00%" in out
    assert "m.py" in out  # coverage's own table, with the missing line
    report = json.loads((tmp_path / "j.json").read_text())
    assert report["files"]["m.py"]["missing_lines"] == [6]


def test_no_data_is_a_total_of_zero_as_with_pytest_cov(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    empty = tmp_path / "w0" / ".coverage"
    empty.parent.mkdir()
    coverage.CoverageData(basename=str(empty)).write()

    code = main(
        ["--data", str(tmp_path / "all"), "--fail-under", "80.5", "--json", "j", str(empty)]
    )

    assert code == 1
    assert "not reached. Total coverage: 0.00%" in capsys.readouterr().out
