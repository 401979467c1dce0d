"""A whole `qdev check` answered again without loading qdev's configuration.

After a complete run, the report is stored with a fingerprint of everything the run depended
on: the config files that could apply (the repo's, the profile's, the user's, even when
absent), QDEV_* variables, uv.lock and the environment's marker, the content of every file
git tracks or would not ignore, and qdev's version. The next `qdev check` with the same
steps computes the fingerprint again (no pydantic, no typer: a few milliseconds) and, when it
matches, prints the stored report with every step marked cached. A different fingerprint
falls back to the per-step cache, so a replay only ever says what the step cache would say.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from qdev import __version__
from qdev.check.cache import FOLDER, NOT_RUN_SECONDS, ResultCache, untracked_inputs
from qdev.check.fingerprint import ambient, installed
from qdev.check.model import CheckRun, Status, StepResult
from qdev.errors import QdevError

ENVIRONMENT_FILES = ("uv.lock", ".venv/qdev-env.json", ".venv/pyvenv.cfg")


def find_root(start: Path) -> Path | None:
    """The repo root as the config loader finds it: the first folder up holding either file."""
    for folder in (start, *start.parents):
        if (folder / "qdev.toml").is_file() or (folder / "pyproject.toml").is_file():
            return folder
    return None


def run_key(steps: Sequence[str], fail_fast: bool) -> str:
    return json.dumps({"steps": list(steps), "fail_fast": fail_fast})


def _entry(root: Path, key: str) -> Path:
    digest = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    return root / FOLDER / f"run@{digest}.json"


def _content(path: Path) -> bytes:
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
    except FileNotFoundError:
        return b"missing"
    except IsADirectoryError:
        return b"folder"
    except OSError as exc:
        return f"error {exc.errno}".encode()


def fingerprint(root: Path, config_inputs: Sequence[str]) -> str:
    from qdev.tools import git

    digest = hashlib.blake2b(digest_size=20)
    digest.update(__version__.encode())
    for name in sorted(os.environ):
        if name.startswith("QDEV_") or name == "CI":  # CI picks check.notebooks.ci_parameters
            digest.update(f"\0{name}={os.environ[name]}".encode())
    for path in [*config_inputs, *(str(root / name) for name in ENVIRONMENT_FILES)]:
        digest.update(f"\0{path}\0".encode())
        digest.update(_content(Path(path)))
    digest.update(json.dumps([installed(root / ".venv"), ambient(root)], sort_keys=True).encode())
    # The index too: a commit that changes no file on disk (a notebook's outputs committed
    # with --no-verify while the working tree keeps them) still changes what the steps judge.
    staged = git.ls_staged(root)
    digest.update(json.dumps(staged, sort_keys=True).encode())
    for kind, paths in (
        ("tracked", list(staged)),  # the same paths `ls-files --cached` lists: one git call
        ("untracked", untracked_inputs(git.ls_untracked(root))),
        ("submodules", untracked_inputs(git.ls_submodule_files(root))),
    ):
        digest.update(f"\0{kind}\0".encode())
        for path in paths:
            digest.update(f"\0{path}\0".encode())
            digest.update(_content(root / path))
    return digest.hexdigest()


def save(
    root: Path, key: str, config_inputs: Sequence[str], seen: str, run: CheckRun
) -> str | None:
    """Store a complete run under the fingerprint `seen` taken before it started; why it could
    not be stored, if it could not (the run's answer stands either way)."""
    if any(result.status is Status.SKIPPED for result in run.results):
        return None  # stopped early (--fail-fast, a failed dependency): not the whole answer
    expires = None
    if any(result.status is Status.NOT_RUN for result in run.results):
        expires = time.time() + NOT_RUN_SECONDS
    data = {
        "root": str(root),
        "inputs": list(config_inputs),
        "fingerprint": seen,
        "expires": expires,
        "results": [result.to_json() for result in run.results],
    }
    cache = ResultCache(root)
    cache.write(_entry(root, key), json.dumps(data))
    return cache.problem


def lookup(start: Path, key: str) -> CheckRun | None:
    """The stored run when nothing it depended on has changed, else None."""
    root = find_root(start)
    if root is None:
        return None
    try:
        data = json.loads(_entry(root, key).read_text(encoding="utf-8"))
        if data["root"] != str(root) or (data["expires"] or float("inf")) < time.time():
            return None
        if fingerprint(root, data["inputs"]) != data["fingerprint"]:
            return None
        results = [StepResult.from_json(item) for item in data["results"]]
    except (OSError, ValueError, KeyError, TypeError, QdevError):
        return None
    return CheckRun([replace(result, cached=True) for result in results], 0.0)
