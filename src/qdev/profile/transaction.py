"""All of sync's writes, or none of them, even across a SIGKILL or a power cut.

Before the first write, the old bytes of every path sync will touch, and git's index, are saved
under the git dir (`.git/qdev-sync/`, out of the work tree and out of `git status`). The folder is
built as `qdev-sync.tmp` and renamed into place: that rename is the commit point. Then each file
is written atomically; when all are done the folder is renamed to `qdev-sync.done` and removed.

A failure in the process (an error, Ctrl-C) puts everything back at once. A process killed
mid-way leaves the journal behind, and the next `qdev sync` (or `qdev sync --check`) puts
everything back before doing anything else: the repo is then byte-identical to before the
interrupted sync, which can simply be run again.

Tests kill the process at the Nth write with `_QDEV_SYNC_KILL_AT=N` (SIGKILL, uncatchable; 0 is
just before the journal's commit point) and make it fail there with `_QDEV_SYNC_FAIL_AT=N`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qdev.fileio import write_atomic

JOURNAL = "qdev-sync"
KILL_VAR = "_QDEV_SYNC_KILL_AT"
FAIL_VAR = "_QDEV_SYNC_FAIL_AT"


def journal_dir(git_dir: Path) -> Path:
    return git_dir / JOURNAL


def pending(git_dir: Path) -> bool:
    """Whether an interrupted sync left writes to undo."""
    return (journal_dir(git_dir) / "journal.json").is_file()


def recover(root: Path, git_dir: Path) -> bool:
    """Undo what an interrupted sync wrote; True when there was something to undo."""
    folder = journal_dir(git_dir)
    for leftover in (folder.with_name(JOURNAL + ".tmp"), folder.with_name(JOURNAL + ".done")):
        shutil.rmtree(leftover, ignore_errors=True)
    if not pending(git_dir):
        shutil.rmtree(folder, ignore_errors=True)
        return False
    _restore(root, git_dir, folder)
    _finish(folder)
    return True


@dataclass
class _Entry:
    path: str
    existed: bool
    backup: str | None


class Transaction:
    """Writes made under a journal; see the module's docstring."""

    def __init__(self, root: Path, git_dir: Path) -> None:
        self.root = root
        self.git_dir = git_dir
        self.writes = 0

    def _step(self) -> None:
        self.writes += 1
        _fault_at(self.writes, self.root)

    def write(self, path: str, data: bytes) -> None:
        self._step()
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)

    def remove(self, path: str) -> None:
        self._step()
        (self.root / path).unlink(missing_ok=True)

    def index_changed(self) -> None:
        """Count a change of git's index (made by git itself) as a write."""
        self._step()


def _prepare(root: Path, git_dir: Path, paths: Sequence[str]) -> Path:
    staging = journal_dir(git_dir).with_name(JOURNAL + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "files").mkdir(parents=True)
    entries = []
    for number, path in enumerate(paths):
        target = root / path
        if target.is_file():
            backup = f"files/{number}"
            shutil.copy2(target, staging / backup)
            entries.append(_Entry(path, True, backup))
        else:
            entries.append(_Entry(path, False, None))
    index = git_dir / "index"
    if index.is_file():
        shutil.copy2(index, staging / "index")
    created = sorted({str(p) for path in paths for p in _missing_parents(root, path)})
    manifest = {"entries": [vars(e) for e in entries], "created_dirs": created}
    write_atomic(staging / "journal.json", json.dumps(manifest, indent=1))
    _fsync_dir(staging)
    _fault_at(0, root)  # 0: the journal is written but not committed
    os.replace(staging, journal_dir(git_dir))  # the commit point
    _fsync_dir(git_dir)
    return journal_dir(git_dir)


def _fault_at(step: int, root: Path) -> None:
    if os.environ.get(KILL_VAR) == str(step):
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(FAIL_VAR) == str(step):
        raise OSError(5, "fault injected", str(root))


def _missing_parents(root: Path, path: str) -> list[Path]:
    found = []
    parent = (root / path).parent
    while parent != root and not parent.exists():
        found.append(parent.relative_to(root))
        parent = parent.parent
    return found


def _restore(root: Path, git_dir: Path, folder: Path) -> None:
    manifest = json.loads((folder / "journal.json").read_text(encoding="utf-8"))
    for entry in manifest["entries"]:
        target = root / entry["path"]
        if entry["existed"]:
            write_atomic(target, (folder / entry["backup"]).read_bytes())
            shutil.copymode(folder / entry["backup"], target)
        else:
            target.unlink(missing_ok=True)
    for created in sorted(manifest["created_dirs"], key=len, reverse=True):
        with contextlib.suppress(OSError):  # not empty (a file of the user's) or gone
            (root / created).rmdir()
    if (folder / "index").is_file():
        write_atomic(git_dir / "index", (folder / "index").read_bytes())
    elif (git_dir / "index").is_file():
        (git_dir / "index").unlink()


def _finish(folder: Path) -> None:
    done = folder.with_name(JOURNAL + ".done")
    shutil.rmtree(done, ignore_errors=True)
    os.replace(folder, done)
    shutil.rmtree(done, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def transaction(root: Path, git_dir: Path, paths: Sequence[str]) -> Iterator[Transaction]:
    """Journal `paths` and git's index, yield the writer, then commit or undo everything."""
    recover(root, git_dir)
    folder = _prepare(root, git_dir, paths)
    try:
        yield Transaction(root, git_dir)
    except BaseException:
        _restore(root, git_dir, folder)
        _finish(folder)
        raise
    _finish(folder)
