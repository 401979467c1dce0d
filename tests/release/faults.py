"""Fault injection for the release fault suite: a git remote whose pre-receive hook waits at a
gate, a loopback proxy in front of the real package index that answers 500 to chosen uploads
(or holds them), and helpers to run qdev as a real child process and signal it midway.

Nothing here replaces a tool: git, uv and pypiserver run for real; the faults sit between them.
"""

from __future__ import annotations

import http.client
import http.server
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

WAIT_LIMIT = 120.0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll until `condition` holds; fail naming `what` if it never does (a hang, not a speed)."""
    deadline = time.monotonic() + WAIT_LIMIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


# --- qdev as a child process ----------------------------------------------------------------------


@dataclass
class Child:
    """qdev running in the background; its stderr goes to a file the test can watch."""

    proc: subprocess.Popen[str]
    stderr_file: Path

    @property
    def stderr(self) -> str:
        return self.stderr_file.read_text(errors="replace")

    def signal(self, sig: signal.Signals = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def finish(self) -> tuple[int, str, str]:
        out, _ = self.proc.communicate(timeout=WAIT_LIMIT * 2)
        return self.proc.returncode, out, self.stderr


def start_cli(root: Path, *args: str, env: dict[str, str] | None = None) -> Child:
    stderr_file = root.parent / f"qdev-stderr-{time.monotonic_ns()}.txt"
    handle = stderr_file.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "qdev", *args],
        cwd=root,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=handle,
        text=True,
    )
    handle.close()
    return Child(proc, stderr_file)


# --- a remote with a slow pre-receive hook --------------------------------------------------------


@dataclass
class Gate:
    """The pre-receive hook of a bare remote: says it started, then waits until opened."""

    folder: Path

    @property
    def started(self) -> bool:
        return (self.folder / "started").exists()

    def open(self) -> None:
        (self.folder / "open").write_text("")


def gate_hook(remote: Path, folder: Path, *, exit_code: int = 0) -> Gate:
    """Make every push to `remote` wait at a gate; the push then succeeds or is rejected."""
    folder.mkdir(parents=True, exist_ok=True)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        "cat >/dev/null\n"
        f'touch "{folder}/started"\n'
        f'while [ ! -e "{folder}/open" ]; do sleep 0.05; done\n'
        + ("echo 'rejected by the hook' >&2\n" if exit_code else "")
        + f"exit {exit_code}\n"
    )
    hook.chmod(0o755)
    return Gate(folder)


# --- a faulty proxy in front of the package index -------------------------------------------------

_FILENAME = re.compile(rb'filename="([^"]+)"')


@dataclass
class IndexProxy:
    """Forwards every request to the real index, except the faults it is told to inject."""

    upstream: str
    url: str = ""
    fail: Callable[[str], bool] = lambda name: False
    """Uploads of file names for which this is true get 500 Internal Server Error."""
    hold: threading.Event | None = None
    """While set to an Event, uploads wait for it (and `held` is set when one arrives)."""
    held: threading.Event = field(default_factory=threading.Event)
    uploads: list[tuple[str, int]] = field(default_factory=list)
    """(file name, status answered) of every upload, in order."""


def _read_body(handler: http.server.BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline().strip():
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


def _handler(proxy: IndexProxy) -> type[http.server.BaseHTTPRequestHandler]:
    upstream = urllib.parse.urlsplit(proxy.upstream)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self, body: bytes | None) -> tuple[int, bytes, list[tuple[str, str]]]:
            conn = http.client.HTTPConnection(upstream.hostname or "", upstream.port, timeout=60)
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in ("host", "transfer-encoding", "content-length", "connection")
            }
            if body is not None:
                headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            conn.close()
            return response.status, data, response.getheaders()

        def do_GET(self) -> None:
            self._answer(*self._forward(None))

        def do_POST(self) -> None:
            body = _read_body(self)
            match = _FILENAME.search(body)
            name = match.group(1).decode() if match else "?"
            if proxy.hold is not None:
                proxy.held.set()
                proxy.hold.wait(WAIT_LIMIT)
            if proxy.fail(name):
                proxy.uploads.append((name, 500))
                self._answer(500, b"Internal Server Error (injected)\n", [])
                return
            status, data, headers = self._forward(body)
            proxy.uploads.append((name, status))
            self._answer(status, data, headers)

    return Handler


@contextmanager
def index_proxy(upstream: str) -> Iterator[IndexProxy]:
    proxy = IndexProxy(upstream)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        if proxy.hold is not None:
            proxy.hold.set()
        server.shutdown()
        server.server_close()
