"""A whole `qdev check` answered again without loading qdev's configuration.

After a complete run, the report is stored with a fingerprint of everything the run depended
on: the config files that could apply (the repo's, the profile's, the user's, even when
absent), QDEV_* variables, uv.lock and the environment's marker, the content of every file
git tracks or would not ignore, and qdev's version. The next `qdev check` with the same
steps computes the fingerprint again (no pydantic, no typer: a few milliseconds) and, when it
matches, prints the stored report with every step marked cached. A different fingerprint
falls back to the per-step cache, so a replay only ever says what the step cache would say.

Beside each entry, a snapshot of the same inputs' stat data (warm.py) lets the next check skip
even reading the files; it is taken before the contents are read, and refreshed here whenever
the contents answer for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from qdev import __version__
from qdev.check import warm
from qdev.check.cache import FOLDER, NOT_RUN_SECONDS, ResultCache
from qdev.check.fingerprint import ambient, ambient_places, installed, installed_paths
from qdev.check.model import CheckRun, Status, StepResult
from qdev.errors import QdevError

ENVIRONMENT_FILES = ("uv.lock", ".venv/qdev-env.json", ".venv/pyvenv.cfg")


@dataclass(frozen=True)
class Seen:
    """What a run depended on: the content fingerprint, and the snapshot of stat data taken
    just before the contents were read (None where none could be taken)."""

    digest: str
    snapshot: dict[str, object] | None


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


def fingerprint(root: Path, config_inputs: Sequence[str]) -> Seen:
    from qdev.tools import git

    staged = git.ls_staged(root)
    untracked = warm.untracked_inputs(git.ls_untracked(root))
    submodule_files = warm.untracked_inputs(git.ls_submodule_files(root))
    files = [*config_inputs, *(str(root / name) for name in ENVIRONMENT_FILES)]
    snapshot = None
    if not (root / ".gitmodules").exists():  # the warm path leaves submodules to this one
        folders, linked = installed_paths(root / ".venv")
        stamped = [*files, *(str(root / path) for path in [*staged, *untracked])]
        stamped += [str(path) for path in [*ambient_places(root), *folders]]
        snapshot = warm.take_snapshot(stamped, map(str, linked), staged, untracked)
    digest = hashlib.blake2b(digest_size=20)
    digest.update(__version__.encode())
    for name in sorted(os.environ):
        if name.startswith("QDEV_") or name == "CI":  # CI picks check.notebooks.ci_parameters
            digest.update(f"\0{name}={os.environ[name]}".encode())
    for path in files:
        digest.update(f"\0{path}\0".encode())
        digest.update(_content(Path(path)))
    digest.update(json.dumps([installed(root / ".venv"), ambient(root)], sort_keys=True).encode())
    # The index too: a commit that changes no file on disk (a notebook's outputs committed
    # with --no-verify while the working tree keeps them) still changes what the steps judge.
    digest.update(json.dumps(staged, sort_keys=True).encode())
    for kind, paths in (
        ("tracked", list(staged)),  # the same paths `ls-files --cached` lists: one git call
        ("untracked", untracked),
        ("submodules", submodule_files),
    ):
        digest.update(f"\0{kind}\0".encode())
        for path in paths:
            digest.update(f"\0{path}\0".encode())
            digest.update(_content(root / path))
    return Seen(digest.hexdigest(), snapshot)


def save(
    root: Path,
    key: str,
    config_inputs: Sequence[str],
    seen: Seen,
    run: CheckRun,
    shown: str | None = None,
) -> str | None:
    """Store a complete run under what `seen` found before it started; why it could not be
    stored, if it could not (the run's answer stands either way). `shown`: the format the
    warm path will print it in, rendered now."""
    if any(result.status is Status.SKIPPED for result in run.results):
        return None  # stopped early (--fail-fast, a failed dependency): not the whole answer
    expires = None
    if any(result.status is Status.NOT_RUN for result in run.results):
        expires = time.time() + NOT_RUN_SECONDS
    data = {
        "root": str(root),
        "inputs": list(config_inputs),
        "fingerprint": seen.digest,
        "expires": expires,
        "results": [result.to_json() for result in run.results],
    }
    cache = ResultCache(root)
    if cache.write(_entry(root, key), json.dumps(data)):
        _keep_snapshot(cache, root, key, seen, expires, replayed(run), shown, {})
    return cache.problem


def lookup(start: Path, key: str, shown: str | None = None) -> CheckRun | None:
    """The stored run when nothing it depended on has changed, else None. A hit refreshes
    the warm path's snapshot (and its report in the format `shown`)."""
    found = warm.find_root(str(start))
    if found is None:
        return None
    root = Path(found)
    try:
        data = json.loads(_entry(root, key).read_text(encoding="utf-8"))
        if data["root"] != str(root) or (data["expires"] or float("inf")) < time.time():
            return None
        seen = fingerprint(root, data["inputs"])
        if seen.digest != data["fingerprint"]:
            return None
        run = replayed(CheckRun([StepResult.from_json(item) for item in data["results"]], 0.0))
    except (OSError, ValueError, KeyError, TypeError, QdevError):
        return None
    name = warm.entry_name(*_selection(key))
    kept = warm.read_entry(str(root / FOLDER / name)) if name else None
    outputs = kept.get("outputs") if kept and kept.get("digest") == seen.digest else None
    known = outputs if isinstance(outputs, dict) else {}
    _keep_snapshot(ResultCache(root), root, key, seen, data["expires"], run, shown, known)
    return run


def replayed(run: CheckRun) -> CheckRun:
    """The run as a replay shows it: every step from the cache, no time spent."""
    return CheckRun([replace(result, cached=True) for result in run.results], 0.0)


def _keep_snapshot(
    cache: ResultCache,
    root: Path,
    key: str,
    seen: Seen,
    expires: float | None,
    run: CheckRun,
    shown: str | None,
    outputs: dict[str, object],
) -> None:
    """Store the warm path's entry: the snapshot and the report as printed in each format
    asked so far (for this fingerprint)."""
    import marshal

    name = warm.entry_name(*_selection(key))
    if seen.snapshot is None or name is None:
        return
    if shown is not None:
        from qdev.check.reporters import replay_streams

        out, err = replay_streams(run, shown)
        outputs = {**outputs, warm.render_key(shown): (out, err, run.exit_code)}
    if not outputs:  # nothing the warm path could print: no older report either
        with contextlib.suppress(OSError):
            (root / FOLDER / name).unlink(missing_ok=True)
        return
    entry = {
        "format": warm.FORMAT,
        "qdev": __version__,
        "root": str(root),
        "digest": seen.digest,
        "expires": expires,
        "snapshot": seen.snapshot,
        "outputs": outputs,
    }
    cache.write(root / FOLDER / name, marshal.dumps(entry))


def _selection(key: str) -> tuple[list[str], bool]:
    parsed = json.loads(key)
    return list(parsed["steps"]), bool(parsed["fail_fast"])
