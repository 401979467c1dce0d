"""Helpers for the research tests: the real qdev CLI in a subprocess, git, notebooks, servers."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from qdev.tools import process

QDEV = [sys.executable, "-m", "qdev"]


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return f"{self.stdout}\n{self.stderr}"

    def json(self) -> Any:
        return json.loads(self.stdout)


def qdev(repo: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> Ran:
    """Run the real `qdev` in `repo`, as a user would."""
    result = process.run(
        [*QDEV, *args],
        cwd=repo,
        env=process.child_env({"NO_COLOR": "1", "COLUMNS": "200", **(env or {})}),
        timeout=timeout,
    )
    return Ran(result.returncode, result.stdout, result.stderr)


def git(repo: Path, *args: str, ok: bool = True) -> process.ProcessResult:
    result = process.run(["git", *args], cwd=repo)
    if ok:
        assert result.ok, result.output
    return result


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def edit_cell(notebook: Path, cell_id: str, source: str, **fields: Any) -> None:
    """Replace one cell's source (and other fields) in a notebook file."""
    data = json.loads(notebook.read_text())
    cell = next(cell for cell in data["cells"] if cell.get("id") == cell_id)
    cell["source"] = source
    cell.update(fields)
    notebook.write_text(json.dumps(data, indent=1) + "\n")


def notebook(*sources: str, parameters: str | None = None) -> dict[str, Any]:
    """A notebook of code cells (ids c1, c2, ...), with a cell tagged "parameters" first."""
    cells: list[dict[str, Any]] = []
    if parameters is not None:
        cells.append(_cell("params", parameters, tags=["parameters"]))
    cells += [_cell(f"c{index}", source) for index, source in enumerate(sources, start=1)]
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _cell(cell_id: str, source: str, tags: list[str] | None = None) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": {"tags": tags} if tags else {},
        "outputs": [],
        "source": source,
    }


def write_notebook(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def aws_env(endpoint: str, home: Path) -> dict[str, str]:
    """AWS settings that reach only the loopback server, whatever the machine has configured."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # moto accepts any
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


class StallingServer:
    """An HTTP server on loopback that sends the first half of a file, then waits until
    `release` is called (or 60 s pass): a download that stops mid-file, on demand."""

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                half = len(server.content) // 2
                self.send_response(200)
                self.send_header("Content-Length", str(len(server.content)))
                self.end_headers()
                self.wfile.write(server.content[:half])
                self.wfile.flush()
                server.released.wait(timeout=60)
                with contextlib.suppress(OSError):  # the client was killed meanwhile
                    self.wfile.write(server.content[half:])

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/big.bin"

    def close(self) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def open_files_under(pid: int, folder: Path) -> list[tuple[str, int]]:
    """(link, size) of every file the process has open under `folder` (unnamed ones too)."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
            size = os.stat(f"/proc/{pid}/fd/{fd}").st_size
        except OSError:
            continue
        if link.startswith(f"{folder}/"):
            found.append((link, size))
    return found
