"""nox sessions for developing qdev itself: the tests on every supported Python, and lint.

    uv run nox -l                 # list the sessions
    uv run nox -s tests-3.12      # the test suite on one Python (extra pytest args after --)
    uv run nox -s lint            # ruff format --check, ruff check, mypy --strict

Every session is a uv-made virtualenv synced from uv.lock, so the tools have the versions the
lock pins, the same as in `uv run` and in the pre-commit hooks.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

from qdev.tools.process import find_uv
from qdev.tools.pythons import newest_pyenv_install

PYTHONS = ["3.11", "3.12", "3.13"]
ROOT = Path(__file__).resolve().parent

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", *(f"tests-{version}" for version in PYTHONS)]


def _expose_pyenv_pythons() -> None:
    """Let uv find pyenv's interpreters: pyenv's shims answer only for the activated versions.

    Only `python3.X` links go on PATH, so pyenv's other tools (its own uv, pip) stay hidden.
    """
    links = ROOT / ".nox" / "pythons"
    for version in PYTHONS:
        found = newest_pyenv_install(version)
        link = links / f"python{version}"
        if found is not None and not link.exists():
            links.mkdir(parents=True, exist_ok=True)
            link.symlink_to(found / "bin" / f"python{version}")
    if links.is_dir():
        os.environ["PATH"] = os.pathsep.join([str(links), os.environ.get("PATH", "")])


_expose_pyenv_pythons()


def _sync(session: nox.Session, *groups: str) -> None:
    """Install qdev and the given dependency groups into the session's venv, from uv.lock."""
    group_args = [arg for group in groups for arg in ("--group", group)]
    session.run_install(
        find_uv(),
        "sync",
        "--frozen",
        "--no-default-groups",
        *group_args,
        f"--python={session.virtualenv.location}",
        env={"UV_PROJECT_ENVIRONMENT": str(session.virtualenv.location)},
        external=True,
    )


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole test suite with the branch-coverage gate (or the pytest arguments given)."""
    _sync(session, "test", "docs")  # the suite builds the docs site (mkdocs --strict)
    args = session.posargs or ["-n", "auto", "--cov=qdev", "--cov-branch", "--cov-fail-under=90"]
    session.run("pytest", *args)


@nox.session(python=PYTHONS[0])
def lint(session: nox.Session) -> None:
    """ruff format --check, ruff check and mypy --strict over src, tests, benchmarks, noxfile."""
    _sync(session, "test", "lint", "nox")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("mypy")
