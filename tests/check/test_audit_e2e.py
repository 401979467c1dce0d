"""The audit step: uv's own `uv audit` of uv.lock where uv has it, pip-audit with an older uv;
a vulnerability service that cannot be reached is said to be exactly that, once.

The vulnerability service is a small OSV-compatible server on loopback (the real one is not
reachable from these machines); uv, its request and its report are real.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qdev.tools.process import find_uv

from .check_helpers import qdev

pytestmark = pytest.mark.e2e

ADVISORY = {
    "id": "GHSA-qdev-test-0001",
    "summary": "idna mishandles long labels",
    "modified": "2024-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"name": "idna", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0"}]}],
        }
    ],
}


class _Osv(BaseHTTPRequestHandler):
    """OSV's batch query and advisory endpoints: `idna` has one advisory, nothing else has."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        results = [
            {"vulns": [{"id": ADVISORY["id"], "modified": ADVISORY["modified"]}]}
            if query["package"]["name"] == "idna"
            else {}
            for query in body["queries"]
        ]
        self._send({"results": results})

    def do_GET(self) -> None:
        self._send(ADVISORY)

    def _send(self, data: object) -> None:
        raw = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def osv() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Osv)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _audit_args(repo: Path, *args: str) -> None:
    with (repo / "qdev.toml").open("a") as handle:
        handle.write(f"\n[check.audit]\nargs = {json.dumps(list(args))}\n")


def test_uv_audits_the_lock_and_a_known_vulnerability_fails_at_its_lock_entry(
    repo: Path, osv: str
) -> None:
    _audit_args(repo, "--service-url", osv)

    ran = qdev(repo, "check", "audit", "--format", "json")

    assert ran.code == 1, ran.stdout + ran.stderr
    audit = ran.steps()["audit"]
    assert audit["summary"] == "1 known vulnerability"
    assert audit["command"][1] == "audit"  # uv's own audit, not pip-audit
    [finding] = audit["findings"]
    assert finding["code"] == "GHSA-qdev-test-0001"
    assert "fixed in 99.0" in finding["message"]
    lock_lines = (repo / "uv.lock").read_text().splitlines()
    assert (finding["path"], lock_lines[finding["line"] - 1]) == ("uv.lock", 'name = "idna"')


def test_an_unreachable_service_is_said_once_in_the_table_and_not_in_the_summary(
    repo: Path,
) -> None:
    _audit_args(repo, "--service-url", "http://127.0.0.1:9")  # nothing listens there

    ran = qdev(repo, "check", "audit", "lint")
    as_json = qdev(repo, "check", "audit", "lint", "--format", "json")

    assert ran.code == 0, ran.stdout + ran.stderr
    audit = as_json.steps()["audit"]
    assert audit["status"] == "not_run"
    assert audit["summary"].startswith(
        "the vulnerability service at http://127.0.0.1:9/v1/querybatch could not be reached"
    )
    assert ran.stdout.count("could not be reached") == 1
    assert ran.stdout.splitlines()[-1].startswith("qdev check passed: 1 passed, 1 not run")


def test_a_uv_without_audit_falls_back_to_pip_audit(repo: Path, tmp_path: Path) -> None:
    older = tmp_path / "older-uv"  # a uv that predates `uv audit`, forwarding all else
    older.mkdir()
    (older / "uv").write_text(
        '#!/bin/sh\nif [ "$1" = audit ]; then\n'
        "  echo \"error: unrecognized subcommand 'audit'\" >&2; exit 2\nfi\n"
        f'exec {find_uv()} "$@"\n'
    )
    (older / "uv").chmod(0o755)
    path = f"{older}{os.pathsep}{os.environ['PATH']}"

    ran = qdev(repo, "check", "audit", "--format", "json", env={"PATH": path})

    audit = ran.steps()["audit"]
    assert "pip-audit" in Path(audit["command"][0]).name
    # This machine's index serves no per-version metadata: pip-audit cannot audit, and says so.
    assert audit["status"] == "not_run", audit
    assert audit["summary"].startswith("the vulnerability service")
