"""Fixtures every test gets: a private home for qdev's own files and a fixed git identity.

The uv cache stays the real one, so tests that run real uv reuse what is already downloaded.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock
from hypothesis import HealthCheck, settings

from qdev.__main__ import main
from qdev.tools import process
from qdev.tools.pythons import newest_pyenv_install, pyenv_versions_dir
from tests.cli_runner import Ran, RunQdev

# Wall time says nothing on a shared machine: no property test fails for being slow.
settings.register_profile("qdev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("qdev")

REAL_UV_CACHE = os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")


def pytest_configure(config: pytest.Config) -> None:
    """Run under nox, uv is pointed at nox's session venv (UV_PROJECT_ENVIRONMENT, UV_PYTHON):
    the repos the tests build must get their own .venv, and never resync the one running pytest.
    Done once for the whole process, so session-scoped fixtures are covered too."""
    for name in ("UV_PROJECT_ENVIRONMENT", "UV_PYTHON"):
        os.environ.pop(name, None)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("QDEV_") or name in {
            "NO_COLOR",
            "FORCE_COLOR",
            "VIRTUAL_ENV",
            "GIT_DIR",
            "JUPYTER_DATA_DIR",
        }:
            monkeypatch.delenv(name)
    monkeypatch.setenv("UV_CACHE_DIR", REAL_UV_CACHE)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))  # Jupyter kernels land here
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (home / "gitconfig").write_text(
        "[user]\n\tname = Test Quant\n\temail = quant@example.com\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
    )
    return home


@pytest.fixture
def qdev(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunQdev:
    """Run the real CLI in this process, from `cwd`, and return its exit code and output: no
    colour, wide lines (no table or message is wrapped), never a Python download."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")

    def run(*args: str | Path, cwd: Path | None = None) -> Ran:
        capsys.readouterr()
        if cwd is not None:
            monkeypatch.chdir(cwd)
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@pytest.fixture
def pyenv_selection() -> Callable[..., str]:
    """`pyenv_selection("3.11", "3.12")`: a PYENV_VERSION that makes pyenv's shims find each.

    pyenv's shims answer only for the selected versions; selecting the installed ones lets uv
    and nox find every Python a repo supports. Skips the test when one is not installed.
    """

    def select(*minors: str) -> str:
        chosen = []
        for minor in minors:
            found = newest_pyenv_install(minor)
            if found is None:
                pytest.skip(f"Python {minor} is not installed under {pyenv_versions_dir()}")
            chosen.append(found.name)
        return ":".join(chosen)

    return select


ServeIndex = Callable[..., str]


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every xdist worker of this run shares (the run's own temporary folder without
    xdist): for what is made once per run, under a file lock."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


BuildOnce = Callable[[str, Callable[[Path], None]], Path]


@pytest.fixture(scope="session")
def build_once(shared_dir: Path) -> BuildOnce:
    """`build_once(name, build)`: `shared_dir/name`, made by `build(folder)` the first time any
    xdist worker asks, under a file lock. The mark that it is done lies beside the folder (a
    profile repository must hold no stray file), so a build cut short is made again."""

    def once(name: str, build: Callable[[Path], None]) -> Path:
        folder = shared_dir / name
        done = shared_dir / f"{name}.done"
        with FileLock(f"{folder}.lock"):
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)
                build(folder)
                done.write_text("")
        return folder

    return once


SessionEnv = Callable[[Path], dict[str, str]]


@pytest.fixture(scope="session")
def session_env() -> SessionEnv:
    """`session_env(home)`: the environment for a child that makes something once per run
    (a template repo) in its own home: the per-test isolation does not reach session fixtures,
    so git gets an identity and a default branch, and the XDG folders a home, here."""

    def make(home: Path) -> dict[str, str]:
        home.mkdir(parents=True, exist_ok=True)
        (home / "gitconfig").write_text(
            "[user]\n\tname = Test Quant\n\temail = quant@example.com\n"
            "[init]\n\tdefaultBranch = main\n"
        )
        return process.child_env(
            {
                "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
                "GIT_CONFIG_NOSYSTEM": "1",
                "XDG_CONFIG_HOME": str(home / "config"),
                "XDG_CACHE_HOME": str(home / "cache"),
                "XDG_DATA_HOME": str(home / "data"),
                "UV_PYTHON_DOWNLOADS": "never",
            },
            drop=("VIRTUAL_ENV",),
        )

    return make


@pytest.fixture(scope="session")
def ci_ready_profile(shared_dir: Path) -> Path:
    """The built-in profile plus where CI installs qdev from, so that `qdev init` writes the
    pipeline as it does for a team (the built-in profile cannot know a team's index). One copy
    for all xdist workers: repos adopted by one worker and read by another record its path."""
    from qdev.profile.source import builtin_path

    folder = shared_dir / "ci-ready-profile"
    with FileLock(f"{folder}.lock"):
        if not (folder / "profile.toml").exists():
            shutil.copytree(builtin_path(), folder, dirs_exist_ok=True)
            profile = folder / "profile.toml"
            source = '[variables]\nqdev_requirement = "qdev==0.1.0"\nqdev_index = "{}"\n'
            index = "https://pypi.example.internal/simple/"
            profile.write_text(profile.read_text().replace("[variables]\n", source.format(index)))
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def serve_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeIndex]:
    """`serve_index(packages, login=None, protect="update")`: a pypiserver on loopback serving
    the folder `packages`, started on call and stopped at the end of the session; returns its
    URL (`<url>simple/` is the index). `login` is (user, password); `protect` names what needs
    it ("update", or "update,download,list" for a private index)."""
    servers: list[subprocess.Popen[bytes]] = []

    def serve(packages: Path, login: tuple[str, str] | None = None, protect: str = "update") -> str:
        auth = ["-a", ".", "-P", "."]
        if login is not None:
            with warnings.catch_warnings():  # passlib imports the deprecated crypt module
                warnings.simplefilter("ignore", DeprecationWarning)
                from passlib.apache import HtpasswdFile

            htpasswd = tmp_path_factory.mktemp("htpasswd") / "htpasswd"
            users = HtpasswdFile(str(htpasswd), new=True)
            users.set_password(*login)
            users.save()
            auth = ["-a", protect, "-P", str(htpasswd)]
        port = free_port()
        argv = [sys.executable, "-m", "pypiserver", "run", "-p", str(port), "-i", "127.0.0.1"]
        server = subprocess.Popen(
            [*argv, *auth, "--disable-fallback", "--log-stream", "none", str(packages)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        servers.append(server)
        url = f"http://127.0.0.1:{port}/"
        _wait_until_serving(server, url)
        return url

    yield serve
    for server in servers:
        server.terminate()
        server.wait(timeout=10)


def _wait_until_serving(server: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers, if only to say a login is needed
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("pypiserver did not start") from None
            time.sleep(0.1)
