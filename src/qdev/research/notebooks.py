"""Notebooks as checks: run each configured notebook top to bottom in the repo's `.venv`, and
refuse notebooks whose outputs were committed.

Each notebook runs in its own child (`notebook_runner.py` under `.venv/bin/python`, with a
kernel of that same interpreter), several at once. Jupyter's and IPython's per-user folders are
replaced by the run's scratch folder, so a laptop's startup scripts or registered kernels cannot
make a notebook pass that fails in CI. The step's cache key is the notebooks, the repo's code
and the files beside the notebooks, the locked packages, the parameters and the declared
datasets' hashes (see the `notebooks` step).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qdev.check import _globs
from qdev.check.model import Finding, Outcome, Status
from qdev.errors import QdevError, ToolMissing

if TYPE_CHECKING:
    from qdev.check.steps._base import StepContext
    from qdev.config.models import NotebookParameter, NotebooksOptions

RUNNER = Path(__file__).with_name("notebook_runner.py")
RUNNER_MISSING = 3
INSTALL_FIX = "uv add --dev nbclient nbformat ipykernel, then run `qdev env`"
# Tests are not imported by notebooks: changing one does not rerun them.
NOT_IMPORTED = ("tests/**", "**/test_*.py", "**/*_test.py", "**/conftest.py")
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
FALSE_WORDS = ("", "0", "false", "no")


def selected(files: list[str], options: NotebooksOptions) -> list[str]:
    """The notebooks to execute: files matching check.notebooks.paths."""
    return sorted(p for p in _globs.select(files, options.paths) if p.endswith(".ipynb"))


def inputs(files: list[str], notebooks: list[str]) -> list[str]:
    """What a notebook run depends on: the notebooks, every file in their folders, the repo's
    Python code (less its tests), everything under src/, and the project files."""
    folders = {f"{path.rsplit('/', 1)[0]}/" for path in notebooks if "/" in path}
    skipped = set(_globs.select(files, NOT_IMPORTED))
    chosen = {
        path
        for path in files
        if path in notebooks
        or any(path.startswith(folder) for folder in folders)
        or path.startswith("src/")
        or (path.endswith(".py") and path not in skipped)
        or path in PROJECT_FILES
    }
    return sorted(path for path in chosen if not path.endswith(".ipynb") or path in notebooks)


def in_ci(environ: Mapping[str, str]) -> bool:
    """Whether this is a CI run: every CI service sets CI (GitHub, GitLab, Jenkins via plugins)."""
    return environ.get("CI", "").strip().lower() not in FALSE_WORDS


def parameters(
    options: NotebooksOptions, environ: Mapping[str, str]
) -> dict[str, NotebookParameter]:
    """check.notebooks.parameters, with ci_parameters over them in CI."""
    if in_ci(environ):
        return {**options.parameters, **options.ci_parameters}
    return dict(options.parameters)


def staged_notebooks(root: Path) -> dict[str, str]:
    """Every notebook in git's index, with the id of its staged content."""
    from qdev.tools import git

    return git.ls_staged(root, "*.ipynb")


def committed_outputs(root: Path, staged: Mapping[str, str]) -> list[Finding]:
    """Code cells that carry outputs in the staged (or committed) version of each notebook.

    The index is what git has: a notebook with outputs in the working tree only (just run in
    Jupyter) is fine, the hook strips it on commit. A cell whose metadata says
    `"keep_output": true` is allowed to keep its outputs, as nbstripout allows.
    """
    from qdev.tools import git

    repo = git.open_repo(root)
    findings = []
    for path, blob in sorted(staged.items()):
        text = git.run(repo, "cat-file", "blob", blob)
        try:
            cells = json.loads(text).get("cells", [])
        except (ValueError, AttributeError):
            findings.append(Finding("not a valid notebook (JSON) in git's index", path))
            continue
        for number, cell in enumerate(cells, start=1):
            if _has_outputs(cell):
                findings.append(
                    Finding(
                        f"cell {number} has outputs in git: strip them (nbstripout {path}, or "
                        "commit through the pre-commit hook) and commit again",
                        path,
                        cell_line(text, cell.get("id")),
                    )
                )
    return findings


def _has_outputs(cell: Any) -> bool:
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return False
    metadata = cell.get("metadata") or {}
    return bool(cell.get("outputs")) and not metadata.get("keep_output")


def cell_line(text: str, cell_id: object) -> int | None:
    """The line of a cell's id in the notebook's JSON, so annotations land on the cell."""
    if not isinstance(cell_id, str):
        return None
    match = re.search(rf'"id":\s*{re.escape(json.dumps(cell_id))}', text)
    return text.count("\n", 0, match.start()) + 1 if match else None


@dataclass(frozen=True)
class NotebookRun:
    path: str
    result: dict[str, Any]
    output: str
    seconds: float

    @property
    def passed(self) -> bool:
        return self.result.get("status") == "passed"


def run_all(
    ctx: StepContext, notebooks: list[str], options: NotebooksOptions, budget: float
) -> list[NotebookRun]:
    """Execute the notebooks, several at once, within `budget` seconds in all."""
    deadline = time.monotonic() + budget
    values = parameters(options, os.environ)
    scratch = (ctx.scratch or ctx.root / ".qdev" / "cache") / "notebooks"
    scratch.mkdir(parents=True, exist_ok=True)
    jobs = max(1, min(len(notebooks), os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="qdev-notebook") as pool:
        futures = [
            pool.submit(_run_one, ctx, path, index, values, options, scratch, deadline)
            for index, path in enumerate(notebooks)
        ]
        return [future.result() for future in futures]


def _run_one(
    ctx: StepContext,
    path: str,
    index: int,
    values: dict[str, NotebookParameter],
    options: NotebooksOptions,
    scratch: Path,
    deadline: float,
) -> NotebookRun:
    result_file = scratch / f"{index}.json"
    argv = [
        str(ctx.venv / "bin" / "python"), str(RUNNER), str(ctx.root / path), str(result_file),
        "--cell-timeout", f"{options.cell_timeout:g}", "--parameters", json.dumps(values),
        *options.args,
    ]  # fmt: skip
    run = ctx.run(argv, timeout=max(1.0, deadline - time.monotonic()), env=_isolated(scratch))
    if run.returncode == RUNNER_MISSING:
        raise ToolMissing(
            f"notebooks cannot run in {ctx.venv}: {run.stderr.strip()}", fix=INSTALL_FIX
        )
    try:
        result = json.loads(result_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        last = next((ln for ln in reversed(run.output.splitlines()) if ln.strip()), "no output")
        raise QdevError(
            f"{path}: the notebook runner exited with {run.returncode}: {last.strip()[:200]}",
            fix="run the notebook in Jupyter to see why, or qdev -v check notebooks",
        ) from None
    return NotebookRun(path, result, run.output, run.seconds)


def _isolated(scratch: Path) -> dict[str, str]:
    return {
        "JUPYTER_DATA_DIR": str(scratch / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(scratch / "jupyter-runtime"),
        "JUPYTER_CONFIG_DIR": str(scratch / "jupyter-config"),
        "IPYTHONDIR": str(scratch / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def failure_finding(root: Path, run: NotebookRun) -> Finding:
    """Where the notebook failed and why: the cell, then its source and traceback."""
    result = run.result
    cell = f"cell {result.get('cell')}"
    if result.get("injected"):
        cell = f"the parameters cell qdev injected before cell {result.get('cell')}"
    if result.get("reason") == "timeout":
        headline = f"{cell} did not finish within check.notebooks.cell_timeout"
    elif result.get("reason") == "dead kernel":
        headline = f"the kernel died in {cell}: {result.get('evalue')}"
    else:
        headline = f"{cell} raised {result.get('ename')}: {result.get('evalue')}"
    source = "\n".join(
        f"    {line}".rstrip() for line in str(result.get("source", "")).splitlines()
    )
    traceback = str(result.get("traceback") or "").rstrip()
    message = "\n".join(part for part in (headline, source, traceback) if part)
    try:
        text = (root / run.path).read_text(encoding="utf-8")
    except OSError:
        text = ""
    return Finding(message, run.path, cell_line(text, result.get("cell_id")))


def outcome(runs: list[NotebookRun], failures: list[Finding], outputs: list[Finding]) -> Outcome:
    """The step's verdict from the notebook runs, their failures, and committed outputs."""
    findings = (*outputs, *failures)
    text = "\n".join(finding.render() for finding in findings)
    if not findings:
        cells = sum(int(run.result.get("code_cells", 0)) for run in runs)
        noun = "notebook" if len(runs) == 1 else "notebooks"
        summary = f"{len(runs)} {noun} ran ({cells} code cells)" if runs else "no notebooks to run"
        return Outcome(Status.PASSED, summary)
    parts = [f"{len(failures)} of {len(runs)} notebooks failed"] if failures else []
    if outputs:
        parts.append(f"{len({finding.path for finding in outputs})} with outputs in git")
    return Outcome(Status.FAILED, "; ".join(parts), findings, text)
