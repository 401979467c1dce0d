"""Cheap change detection for the memos (`qdev sync --check`, `qdev fleet status`).

A stamp is the file system's own word for a file (modification time, size, inode): taking it
reads nothing, and any write changes it (git trusts the same data for its index). The memos live
on fast paths, so this module imports nothing beyond the standard library.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def file_stamp(path: Path) -> str:
    """`path`'s stamp, or a mark that it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}:-\0"
    return f"{path}:{st.st_mtime_ns}:{st.st_size}:{st.st_ino}\0"


def tree_stamp(folder: Path) -> str:
    """The stamp of every file under `folder` (or of `folder` itself when it is a file)."""
    if not folder.is_dir():
        return file_stamp(folder)
    parts = []
    for top, dirs, files in os.walk(folder):
        dirs.sort()
        parts += [file_stamp(Path(top, name)) for name in sorted(files)]
    return "".join(parts)


def memo_file(folder: Path, key: str) -> Path:
    """Where in `folder` the memo for `key` (a path, say) is kept: a short hash names it."""
    return folder / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"
