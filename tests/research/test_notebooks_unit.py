"""The notebooks step's parts: what it runs, what its result depends on, what it reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qdev.check.model import Finding, Status
from qdev.check.steps import StepContext
from qdev.config.models import NotebooksOptions, QdevConfig
from qdev.errors import ToolMissing
from qdev.research import notebooks
from qdev.research.notebooks import NotebookRun
from qdev.tools import process
from qdev.tools.process import ChildGroup

from .helpers import git, notebook, write_notebook

FILES = [
    "notebooks/explore.ipynb", "notebooks/helpers.py", "notebooks/params.yaml",
    "notebooks/old/draft.ipynb", "reports/q1.ipynb", "src/alpha/core.py", "src/alpha/prices.csv",
    "scripts/load.py", "tests/test_core.py", "tests/conftest.py", "pyproject.toml", "README.md",
    "uv.lock",
]  # fmt: skip


def test_the_configured_globs_pick_the_notebooks_to_run() -> None:
    options = NotebooksOptions()
    assert notebooks.selected(FILES, options) == [
        "notebooks/explore.ipynb", "notebooks/old/draft.ipynb"
    ]  # fmt: skip
    options = NotebooksOptions(paths=["**/*.ipynb", "notebooks/helpers.py"])
    assert notebooks.selected(FILES, options) == [
        "notebooks/explore.ipynb", "notebooks/old/draft.ipynb", "reports/q1.ipynb"
    ]  # fmt: skip


def test_a_run_depends_on_the_notebooks_their_folders_and_the_code_but_not_tests_or_docs() -> None:
    chosen = ["notebooks/explore.ipynb"]
    assert notebooks.inputs(FILES, chosen) == [
        "notebooks/explore.ipynb", "notebooks/helpers.py", "notebooks/params.yaml",
        "pyproject.toml", "scripts/load.py", "src/alpha/core.py", "src/alpha/prices.csv",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("ci", "expected"),
    [("", "2020"), ("0", "2020"), ("false", "2020"), ("true", "2025"), ("1", "2025")],
)
def test_ci_parameters_replace_parameters_when_ci_is_set(ci: str, expected: str) -> None:
    options = NotebooksOptions(
        parameters={"start": "2020", "assets": 100}, ci_parameters={"start": "2025"}
    )
    values = notebooks.parameters(options, {"CI": ci})
    assert values == {"start": expected, "assets": 100}


def test_the_line_of_a_cell_is_found_by_its_id() -> None:
    text = json.dumps(notebook("a = 1", "b = 2"), indent=1)
    line = notebooks.cell_line(text, "c2")
    assert line is not None
    assert text.splitlines()[line - 1].strip() == '"id": "c2",'
    assert notebooks.cell_line(text, "nope") is None
    assert notebooks.cell_line(text, None) is None


def test_outputs_in_the_index_are_found_except_where_a_cell_keeps_them(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    data = notebook("a = 1", "b = 2", "c = 3")
    data["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    data["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "y"}]
    data["cells"][2]["metadata"]["keep_output"] = True
    write_notebook(tmp_path / "nb" / "a.ipynb", data)
    (tmp_path / "nb" / "broken.ipynb").write_text("{not json")
    write_notebook(tmp_path / "nb" / "clean.ipynb", notebook("a = 1"))
    git(tmp_path, "add", "--all")
    (tmp_path / "nb" / "clean.ipynb").write_text(json.dumps(data))  # not staged: not judged

    staged = notebooks.staged_notebooks(tmp_path)
    assert sorted(staged) == ["nb/a.ipynb", "nb/broken.ipynb", "nb/clean.ipynb"]
    found = notebooks.committed_outputs(tmp_path, staged)

    assert [(f.path, f.message.split(":")[0]) for f in found] == [
        ("nb/a.ipynb", "cell 1 has outputs in git"),
        ("nb/broken.ipynb", "not a valid notebook (JSON) in git's index"),
    ]
    assert found[0].line is not None


def _run(result: dict[str, object]) -> NotebookRun:
    return NotebookRun("nb/a.ipynb", result, "", 1.0)


def test_the_verdict_summarises_runs_failures_and_outputs(tmp_path: Path) -> None:
    passed = notebooks.outcome([_run({"status": "passed", "code_cells": 4})] * 2, [], [])
    assert (passed.status, passed.summary) == (Status.PASSED, "2 notebooks ran (8 code cells)")
    assert notebooks.outcome([], [], []).summary == "no notebooks to run"

    timeout = _run({"status": "failed", "reason": "timeout", "cell": 2, "source": "sleep()"})
    finding = notebooks.failure_finding(tmp_path, timeout)
    assert finding.message.splitlines() == [
        "cell 2 did not finish within check.notebooks.cell_timeout", "    sleep()"
    ]  # fmt: skip
    injected = _run(
        {"status": "failed", "reason": "error", "cell": 2, "injected": True,
         "ename": "SyntaxError", "evalue": "bad", "source": "x = ("}
    )  # fmt: skip
    assert notebooks.failure_finding(tmp_path, injected).message.startswith(
        "the parameters cell qdev injected before cell 2 raised SyntaxError: bad"
    )
    dead = _run({"status": "failed", "reason": "dead kernel", "cell": 1, "evalue": "gone"})
    assert notebooks.failure_finding(tmp_path, dead).message == "the kernel died in cell 1: gone"

    outputs = [Finding("cell 1 has outputs in git", "nb/b.ipynb", 3)]
    failed = notebooks.outcome([timeout, _run({"status": "passed"})], [finding], outputs)
    assert failed.status is Status.FAILED
    assert failed.summary == "1 of 2 notebooks failed; 1 with outputs in git"
    assert failed.output.startswith("nb/b.ipynb:3: cell 1 has outputs in git\nnb/a.ipynb: cell 2")


def test_an_environment_without_nbclient_stops_the_check_with_the_install_command(
    tmp_path: Path,
) -> None:
    venv = tmp_path / ".venv"
    assert process.run([process.find_uv(), "venv", "--quiet", str(venv)], timeout=120).ok
    write_notebook(tmp_path / "notebooks" / "a.ipynb", notebook("x = 1"))
    ctx = StepContext(
        root=tmp_path, venv=venv, config=QdevConfig(), tracked=["notebooks/a.ipynb"],
        children=ChildGroup(), scratch=tmp_path / "scratch",
    )  # fmt: skip
    with pytest.raises(ToolMissing) as raised:
        notebooks.run_all(ctx, ["notebooks/a.ipynb"], NotebooksOptions(), 60)
    assert raised.value.fix == notebooks.INSTALL_FIX
    assert "is not installed" in raised.value.message
