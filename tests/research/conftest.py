"""Fixtures for research repos: one `qdev init --kind research` repo per session (copied per
test, with its own .venv), and a real S3-compatible server (moto) on loopback."""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from qdev import envstate
from qdev.tools import process

from .helpers import QDEV, aws_env

PutObject = Callable[[str, bytes], str]


@pytest.fixture(scope="session")
def research_template(shared_dir: Path, session_env: Callable[[Path], dict[str, str]]) -> Path:
    """A research repo made by `qdev init --kind research --commit`, shared by xdist workers."""
    folder = shared_dir / "research-template" / "alpha-research"
    with FileLock(str(shared_dir / "research-template.lock")):
        if not (folder / ".venv" / "qdev-env.json").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.parent.mkdir(parents=True, exist_ok=True)
            made = process.run(
                [*QDEV, "init", str(folder), "--kind", "research", "--yes", "--commit"],
                env=session_env(shared_dir / "research-template-home"),
                timeout=600,
            )
            assert made.returncode == 0, made.output
    return folder


@pytest.fixture
def research_repo(research_template: Path, tmp_path: Path) -> Path:
    """A private copy of the research repo with a fresh environment (no kernel registered)."""
    copy = tmp_path / "alpha-research"
    shutil.copytree(research_template, copy, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    shutil.rmtree(copy / ".qdev" / "cache", ignore_errors=True)
    synced = process.run(
        [process.find_uv(), "sync", "--frozen", "--quiet"],
        cwd=copy,
        env=process.child_env(drop=("VIRTUAL_ENV",)),
        timeout=600,
    )
    assert synced.ok, synced.output
    envstate.write_marker(copy)
    return copy


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free loopback port, for the whole session."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(
    s3_endpoint: str, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PutObject]:
    """A fresh bucket; `s3(key, data)` stores an object and returns its s3:// URL. The AWS
    variables point every client (this process's and qdev's) at the loopback server."""
    for name, value in aws_env(s3_endpoint, isolated_env).items():
        monkeypatch.setenv(name, value)
    import fsspec

    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    bucket = f"research-{uuid.uuid4().hex[:12]}"
    fs.mkdir(bucket)

    def put(key: str, data: bytes) -> str:
        fs.pipe(f"{bucket}/{key}", data)
        return f"s3://{bucket}/{key}"

    yield put
    fs.rm(bucket, recursive=True)
