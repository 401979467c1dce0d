"""Fixtures for release tests: a demo package repo with a bare remote, and a package index."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from .release_helpers import (
    INDEX_PASSWORD,
    INDEX_USER,
    PackageIndex,
    ReleaseRepo,
    free_port,
    make_repo,
)


@pytest.fixture
def release_repo(tmp_path: Path) -> ReleaseRepo:
    return make_repo(tmp_path)


@pytest.fixture
def package_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackageIndex]:
    with warnings.catch_warnings():  # passlib imports the deprecated crypt module
        warnings.simplefilter("ignore", DeprecationWarning)
        from passlib.apache import HtpasswdFile

    base = tmp_path_factory.mktemp("index")
    packages = base / "packages"
    packages.mkdir()
    htpasswd = HtpasswdFile(str(base / "htpasswd"), new=True)
    htpasswd.set_password(INDEX_USER, INDEX_PASSWORD)
    htpasswd.save()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pypiserver",
            "run",
            "-p",
            str(port),
            "-i",
            "127.0.0.1",
            "-a",
            "update",
            "-P",
            str(base / "htpasswd"),
            "--disable-fallback",
            "--log-stream",
            "none",
            str(packages),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}simple/", timeout=1):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("pypiserver did not start") from None
            time.sleep(0.1)
    try:
        yield PackageIndex(url, packages)
    finally:
        server.terminate()
        server.wait(timeout=10)
