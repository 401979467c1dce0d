"""Execute one notebook top to bottom and write what happened as JSON.

    PYTHON notebook_runner.py NOTEBOOK RESULT_JSON --cell-timeout SECONDS [--parameters JSON]

This file is run by the research repo's own Python (`.venv/bin/python`), never imported by
qdev: the notebook's kernel is that environment's ipykernel, so the notebook sees exactly the
locked packages and the repo's code. It needs only the standard library, nbformat and nbclient
(the research kind's dev group locks them). Exit 0 when the notebook ran (passed or not: the
result says which), 3 when nbclient, nbformat or ipykernel is missing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbformat import NotebookNode

MISSING = 3
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--cell-timeout", type=float, required=True)
    parser.add_argument("--parameters", default="{}")
    args = parser.parse_args(argv)
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as exc:
        return _missing(exc.name or "nbclient")
    notebook = nbformat.read(args.notebook, as_version=4)  # type: ignore[no-untyped-call]
    injected_at = inject_parameters(notebook, json.loads(args.parameters))
    client = NotebookClient(
        notebook,
        timeout=args.cell_timeout,
        kernel_name="python3",  # the native kernel: this very interpreter, whatever is registered
        resources={"metadata": {"path": str(args.notebook.resolve().parent)}},
    )
    from jupyter_client.kernelspec import NoSuchKernel

    try:
        result = execute(client, notebook, injected_at)
    except NoSuchKernel:
        return _missing("ipykernel")
    args.result.write_text(json.dumps(result), encoding="utf-8")
    return 0


def _missing(module: str) -> int:
    sys.stderr.write(f"{module} is not installed in {sys.prefix}\n")
    return MISSING


def inject_parameters(notebook: NotebookNode, parameters: dict[str, Any]) -> int | None:
    """Put a cell setting `parameters` after the cell tagged "parameters" (or first), as
    papermill does; return its index, or None when there is nothing to set."""
    if not parameters:
        return None
    import nbformat

    lines = [f"{name} = {value!r}" for name, value in parameters.items()]
    source = "# Parameters from qdev (check.notebooks)\n" + "\n".join(lines)
    cell = nbformat.v4.new_code_cell(source)  # type: ignore[no-untyped-call]
    cell.metadata["tags"] = [INJECTED_TAG]
    tagged = [
        index
        for index, existing in enumerate(notebook.cells)
        if PARAMETERS_TAG in existing.get("metadata", {}).get("tags", [])
    ]
    position = tagged[0] + 1 if tagged else 0
    notebook.cells.insert(position, cell)
    return position


def execute(client: Any, notebook: NotebookNode, injected_at: int | None) -> dict[str, Any]:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    started = time.monotonic()
    client.reset_execution_trackers()
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            try:
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            except CellTimeoutError:
                return _failure(notebook, index, injected_at, "timeout", "", "")
            except CellExecutionError as exc:
                return _failure(notebook, index, injected_at, "error", exc.ename, exc.evalue)
            except DeadKernelError as exc:
                return _failure(notebook, index, injected_at, "dead kernel", "", str(exc))
    code_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
    return {
        "status": "passed",
        "cells": len(notebook.cells) - (injected_at is not None),
        "code_cells": code_cells,
        "seconds": time.monotonic() - started,
    }


def _failure(
    notebook: NotebookNode,
    index: int,
    injected_at: int | None,
    reason: str,
    ename: str,
    evalue: str,
) -> dict[str, Any]:
    cell = notebook.cells[index]
    errors = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    traceback = "\n".join(errors[-1].get("traceback", [])) if errors else ""
    injected = index == injected_at
    shifted = injected_at is not None and index > injected_at
    original = index - 1 if shifted else index
    return {
        "status": "failed",
        "reason": reason,
        "cell": original + 1,
        "cell_id": None if injected else cell.get("id"),
        "injected": injected,
        "source": cell.source,
        "ename": ename,
        "evalue": evalue,
        "traceback": ANSI.sub("", traceback),
    }


if __name__ == "__main__":
    sys.exit(main())
