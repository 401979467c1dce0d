"""The datasets a research repo declares in `[research.data]`, and whether each is on disk.

A dataset is present when the file at its path has the declared SHA-256. Hashing a large file
takes time, so each verified hash is remembered with the file's size, modification time and
inode (in `.qdev/cache/data/hashes.json`); a file whose stat has not changed is not read again,
which is how `qdev data status` and an up-to-date `qdev data pull` answer at once and offline.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from qdev.errors import UsageError
from qdev.fileio import write_atomic

if TYPE_CHECKING:
    from qdev.config.models import Dataset, QdevConfig

HASH_CACHE = Path(".qdev") / "cache" / "data" / "hashes.json"
CHUNK = 4 * 1024 * 1024
URL_SCHEME = "://"


class State(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    CHANGED = "changed"
    """A file is there, but its content is not the declared one."""


@dataclass(frozen=True)
class Declared:
    """One dataset of the config, with its source and target resolved against the repo."""

    name: str
    url: str
    """As written in the config (shown to the user)."""
    source: str
    """What fsspec opens: the URL, or a local path made absolute against the repo root."""
    sha256: str
    relpath: str
    """The target, relative to the repo root."""
    target: Path


@dataclass(frozen=True)
class Status:
    dataset: Declared
    state: State
    size: int | None = None
    sha256: str | None = None
    """The content's hash when the file is there."""


def is_url(location: str) -> bool:
    return URL_SCHEME in location


def file_name(location: str) -> str:
    """The file a URL or path names ("" for a bucket, a host or a folder ending in /)."""
    if is_url(location):
        location = location.split("://", 1)[1].split("?", 1)[0]
        location = location.split("/", 1)[1] if "/" in location else ""
    return "" if location.endswith("/") else location.rsplit("/", 1)[-1]


def resolve(root: Path, config: QdevConfig, name: str, dataset: Dataset) -> Declared:
    """The dataset's source and target: local paths are relative to the repo root."""
    url = dataset.url
    source = url if is_url(url) else str((root / Path(url).expanduser()).resolve())
    relative = dataset.path or file_name(url)
    if not relative:
        raise UsageError(
            f"research.data.{name}: the URL {url} names no file",
            fix=f'add path = "FILE" to [research.data.{name}]',
        )
    relpath = f"{config.research.data_dir.rstrip('/')}/{relative}"
    return Declared(name, url, source, dataset.sha256, relpath, root / relpath)


def declared(root: Path, config: QdevConfig, names: Sequence[str] = ()) -> list[Declared]:
    """The declared datasets (only `names`, when given), in the config's order."""
    known = config.research.data
    unknown = [name for name in names if name not in known]
    if unknown:
        listed = ", ".join(known) or "none are declared"
        raise UsageError(
            f"no dataset named {', '.join(unknown)} in [research.data] ({listed})",
            fix="qdev data status lists them; qdev data add URL declares a new one",
        )
    chosen = [name for name in known if not names or name in names]
    return [resolve(root, config, name, known[name]) for name in chosen]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class HashCache:
    """Verified hashes of files under the repo, trusted while their stat is unchanged."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / HASH_CACHE
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}
        self.entries: dict[str, dict[str, object]] = loaded if isinstance(loaded, dict) else {}
        self.changed = False

    @staticmethod
    def _stamp(info: os.stat_result) -> dict[str, object]:
        return {"size": info.st_size, "mtime_ns": info.st_mtime_ns, "ino": info.st_ino}

    def hash(self, relpath: str) -> tuple[int, str] | None:
        """(size, sha256) of the file, or None when it is not there."""
        path = self.root / relpath
        try:
            info = path.stat()
        except OSError:
            return None
        if not path.is_file():
            return None
        stamp = self._stamp(info)
        entry = self.entries.get(relpath)
        if entry is not None and all(entry.get(k) == v for k, v in stamp.items()):
            return info.st_size, str(entry["sha256"])
        digest = sha256_of(path)
        self.remember(relpath, digest)
        return info.st_size, digest

    def remember(self, relpath: str, digest: str) -> None:
        info = (self.root / relpath).stat()
        self.entries[relpath] = {**self._stamp(info), "sha256": digest}
        self.changed = True

    def save(self) -> None:
        if self.changed:
            write_atomic(self.path, json.dumps(self.entries, indent=1, sort_keys=True))
            self.changed = False


def status_of(dataset: Declared, hashes: HashCache) -> Status:
    found = hashes.hash(dataset.relpath)
    if found is None:
        return Status(dataset, State.MISSING)
    size, digest = found
    state = State.PRESENT if digest == dataset.sha256 else State.CHANGED
    return Status(dataset, state, size, digest)


def status(root: Path, config: QdevConfig, names: Sequence[str] = ()) -> list[Status]:
    """Each declared dataset: present, missing, or changed (there, with other content)."""
    hashes = HashCache(root)
    found = [status_of(dataset, hashes) for dataset in declared(root, config, names)]
    hashes.save()
    return found
