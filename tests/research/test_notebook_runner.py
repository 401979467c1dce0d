"""The notebook runner, run as qdev runs it: a child Python with nbclient and a real kernel."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from qdev.research.notebooks import RUNNER
from qdev.tools import process

from .helpers import notebook, write_notebook

pytestmark = pytest.mark.e2e


def run(
    nb: Path, tmp_path: Path, *, python: str = sys.executable, timeout: float = 60, **params: Any
) -> tuple[int, dict[str, Any], str]:
    result_file = tmp_path / "result.json"
    env = process.child_env(
        {
            "JUPYTER_DATA_DIR": str(tmp_path / "jd"),
            "JUPYTER_RUNTIME_DIR": str(tmp_path / "jr"),
            "IPYTHONDIR": str(tmp_path / "ipython"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
    )
    # qdev runs the file by its path (the repo's .venv has no qdev); as a module here, so that
    # coverage, which follows the qdev package, measures it.
    script = ["-m", "qdev.research.notebook_runner"] if python == sys.executable else [str(RUNNER)]
    argv = [python, *script, str(nb), str(result_file), "--cell-timeout", f"{timeout:g}"]
    done = process.run([*argv, "--parameters", json.dumps(params)], env=env, timeout=180)
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    return done.returncode, result, done.output


def test_a_notebook_that_runs_passes_in_its_folder_with_its_interpreter(tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "nbs" / "ok.ipynb",
        notebook(
            "import os, sys\nassert os.getcwd() == NB_DIR, os.getcwd()",
            f"assert sys.executable == {sys.executable!r}, sys.executable",
            parameters=f"NB_DIR = {str(tmp_path / 'nbs')!r}",
        ),
    )
    code, result, output = run(nb, tmp_path)
    assert code == 0, output
    assert result["status"] == "passed"
    assert (result["cells"], result["code_cells"]) == (3, 3)


def test_parameters_go_after_the_tagged_cell_and_failures_name_the_original_cell(
    tmp_path: Path,
) -> None:
    nb = write_notebook(
        tmp_path / "p.ipynb",
        notebook("assert start == '2025-06-01', start", "1 / 0", parameters="start = '2020'"),
    )
    code, result, output = run(nb, tmp_path, start="2025-06-01")
    assert code == 0, output
    assert result["status"] == "failed"
    assert (result["cell"], result["cell_id"], result["reason"]) == (3, "c2", "error")
    assert (result["ename"], result["evalue"]) == ("ZeroDivisionError", "division by zero")
    assert "----> 1 1 / 0" in result["traceback"]
    assert "\x1b[" not in result["traceback"]
    assert result["source"] == "1 / 0"


def test_without_a_tagged_cell_parameters_come_first(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "p.ipynb", notebook("assert window == [1, 2.5, 'x', True]"))
    code, result, output = run(nb, tmp_path, window=[1, 2.5, "x", True])
    assert code == 0, output
    assert result["status"] == "passed", result


def test_a_cell_past_its_timeout_and_a_dying_kernel_are_failures(tmp_path: Path) -> None:
    slow = write_notebook(tmp_path / "slow.ipynb", notebook("x = 1", "import time\ntime.sleep(20)"))
    code, result, output = run(slow, tmp_path, timeout=1)
    assert code == 0, output
    assert (result["status"], result["reason"], result["cell"]) == ("failed", "timeout", 2)

    dying = write_notebook(tmp_path / "dying.ipynb", notebook("import os\nos._exit(3)"))
    code, result, output = run(dying, tmp_path)
    assert code == 0, output
    assert (result["status"], result["reason"], result["cell"]) == ("failed", "dead kernel", 1)


def test_an_environment_without_nbclient_exits_3(tmp_path: Path) -> None:
    venv = tmp_path / "bare"
    made = process.run([process.find_uv(), "venv", "--quiet", str(venv)], timeout=120)
    assert made.ok, made.output
    nb = write_notebook(tmp_path / "x.ipynb", notebook("x = 1"))
    code, result, output = run(nb, tmp_path, python=str(venv / "bin" / "python"))
    assert code == 3
    assert "is not installed in" in output
    assert result == {}
