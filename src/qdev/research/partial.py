"""A file that appears whole at its path or not at all, even if the process is killed.

On Linux the download goes into an unnamed file (O_TMPFILE) in the target's folder: if the
process dies, even by SIGKILL, the kernel frees it and nothing is left on disk. Only once the
content is complete and verified is it given a name and moved over the target atomically.
Where O_TMPFILE is not available (macOS, some filesystems) a hidden named file is used instead;
a killed process can leave one of those behind, and `sweep` removes them on the next run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUFFIX = ".qdev-partial"
CHUNK = 4 * 1024 * 1024
# Tests set it to exercise the named-file fallback that other platforms use.
NO_TMPFILE_VAR = "_QDEV_NO_TMPFILE"


class PartialFile:
    """An open file being written; `commit` moves it over the target, else it vanishes."""

    def __init__(self, fd: int, named: Path | None) -> None:
        self.fd = fd
        self.named = named
        self.committed = False

    @property
    def write_path(self) -> str:
        """A path that opens this very file, for tools that write to a path."""
        return str(self.named) if self.named else f"/proc/self/fd/{self.fd}"

    def sha256(self) -> tuple[int, str]:
        """(size, SHA-256) of what was written."""
        digest = hashlib.sha256()
        offset = 0
        while chunk := os.pread(self.fd, CHUNK, offset):
            digest.update(chunk)
            offset += len(chunk)
        return offset, digest.hexdigest()

    def commit(self, target: Path) -> None:
        os.fsync(self.fd)
        if self.named is not None:
            os.replace(self.named, target)
        else:
            # linkat cannot replace a file: name the content first, then rename over the target.
            link = target.parent / f".{target.name}.{secrets.token_hex(6)}{SUFFIX}"
            folder = os.open(target.parent, os.O_RDONLY)
            try:  # a dir fd makes os.link call linkat with AT_SYMLINK_FOLLOW, as /proc needs
                os.link(self.write_path, link.name, dst_dir_fd=folder, follow_symlinks=True)
            finally:
                os.close(folder)
            os.replace(link, target)
        self.committed = True
        _sync_folder(target.parent)


@contextmanager
def partial_file(target: Path) -> Iterator[PartialFile]:
    """A new empty file in `target`'s folder (created if needed), cleaned up unless committed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _unnamed(target.parent) or _named(target)
    try:
        yield partial
    finally:
        os.close(partial.fd)
        if partial.named is not None and not partial.committed:
            partial.named.unlink(missing_ok=True)


def _unnamed(folder: Path) -> PartialFile | None:
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or os.environ.get(NO_TMPFILE_VAR) or not Path("/proc/self/fd").is_dir():
        return None
    try:
        return PartialFile(os.open(folder, flag | os.O_RDWR, 0o644), None)
    except OSError:  # the filesystem does not support it
        return None


def _named(target: Path) -> PartialFile:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=SUFFIX)
    os.fchmod(fd, 0o644)
    return PartialFile(fd, Path(name))


def sweep(folder: Path) -> list[Path]:
    """Remove what killed runs left in `folder` (named partial files); return them."""
    if not folder.is_dir():
        return []
    left = [path for path in folder.rglob(f".*{SUFFIX}") if path.is_file()]
    for path in left:
        path.unlink(missing_ok=True)
    return left


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
