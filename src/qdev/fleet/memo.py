"""The status memo: each repo's facts, kept while nothing they depend on has changed.

A repo's stamp is the file system's word (size, modification time, inode) for every file its
facts were read from: the state, config files and every managed file; git's HEAD, index and
refs; the check cache's runs; the profile mirror's tags (or a folder profile's files); plus the
user's config file, the QDEV_* variables and qdev's version. Taking it costs a few dozen
`stat` calls and no reading, so an unchanged fleet of hundreds of repos is answered in well under
a second. (git trusts the same stat data for its index.)

    <fleet cache>/status/<hash of the fleet file>.json
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from qdev import __version__, stamps
from qdev.fleet.facts import RepoFacts

MEMO_VERSION = "1"
ROOT_FILES = (".qdev/state.toml", "qdev.toml", "pyproject.toml", "uv.lock")
GIT_FILES = ("HEAD", "packed-refs", "index", "qdev-sync")


def memo_file(fleet_file: Path) -> Path:
    from qdev.fleet.clones import cache_dir

    return stamps.memo_file(cache_dir() / "status", str(fleet_file))


def load(fleet_file: Path) -> dict[str, Any]:
    try:
        data = json.loads(memo_file(fleet_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != MEMO_VERSION:
        return {}
    repos = data.get("repos")
    return repos if isinstance(repos, dict) else {}


def save(fleet_file: Path, repos: dict[str, Any]) -> None:
    import contextlib

    from qdev.fileio import write_atomic

    with contextlib.suppress(OSError):  # a read-only cache only costs speed
        write_atomic(memo_file(fleet_file), json.dumps({"version": MEMO_VERSION, "repos": repos}))


def remembered(entry: object, root: Path, common: str) -> RepoFacts | None:
    """The memo's facts for `root` when its stamp still holds, else None."""
    if not isinstance(entry, dict):
        return None
    try:
        if entry["stamp"] != stamp(root, entry["inputs"], common):
            return None
        return RepoFacts.from_json(entry["facts"])
    except (KeyError, TypeError, ValueError):
        return None


def entry_for(root: Path, facts: RepoFacts, common: str) -> dict[str, Any]:
    inputs = inputs_of(root)
    return {"stamp": stamp(root, inputs, common), "inputs": inputs, "facts": facts.to_json()}


def common_stamp() -> str:
    """What every repo's facts depend on alike: qdev, QDEV_* variables, the user's config."""
    from qdev.output import user_file

    parts = [MEMO_VERSION, __version__, stamps.file_stamp(Path(user_file()))]
    parts += [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("QDEV_")]
    return "\0".join(parts)


def inputs_of(root: Path) -> dict[str, list[str]]:
    """The paths a repo's stamp covers besides the fixed ones: its managed files, and where
    its profile lives (a mirror's refs, a folder's files)."""
    from qdev.errors import QdevError
    from qdev.profile import state as state_file

    try:
        recorded = state_file.read(root)
    except QdevError:
        recorded = None
    if recorded is None:
        return {"files": [], "trees": []}
    trees = []
    if recorded.source != "builtin":
        if recorded.commit is not None:
            from qdev.profile.cache import mirror_path, resolve_url

            try:
                mirror = mirror_path(resolve_url(recorded.source, root))
            except QdevError:
                mirror = None
            if mirror is not None:
                trees += [str(mirror / "packed-refs"), str(mirror / "refs")]
        else:
            trees.append(str((root / recorded.source).resolve()))
    return {"files": sorted(recorded.files), "trees": trees}


def stamp(root: Path, inputs: dict[str, list[str]], common: str) -> str:
    from qdev.check.cache import FOLDER
    from qdev.release.journal import find_git_dir

    digest = hashlib.blake2b(common.encode(), digest_size=20)
    for name in (*ROOT_FILES, *inputs["files"]):
        digest.update(stamps.file_stamp(root / name).encode())
    git_dir = find_git_dir(root)
    if git_dir is not None:
        for name in GIT_FILES:
            digest.update(stamps.file_stamp(git_dir / name).encode())
        digest.update(stamps.tree_stamp(git_dir / "refs").encode())
    digest.update(stamps.tree_stamp(root / FOLDER).encode())
    for tree in inputs["trees"]:
        digest.update(stamps.tree_stamp(Path(tree)).encode())
    return digest.hexdigest()
