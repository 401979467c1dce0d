"""git's two file listings for the warm `qdev check`, read without importing subprocess.

The warm check answers in a few tens of milliseconds, and importing subprocess (or git.py's
dataclasses and pathlib) costs more than its whole share for git. So this module starts the two
`git ls-files` at once with os.posix_spawnp and reads their output from pipes. Every other git
call goes through git.py and process.py, which own timeouts, errors and messages; here any
failure is None, and the warm check takes its slower path, which reports problems properly.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs milliseconds on the warm path
if TYPE_CHECKING:
    from collections.abc import Iterable

STAGED = ("ls-files", "-z", "--stage", "--")
UNTRACKED = ("ls-files", "-z", "--others", "--exclude-standard")


class Listings:
    """The two listings being read: `wait()` for the index (path: blob id) and the untracked
    files, or None when git failed."""

    def __init__(self, children: list[tuple[int, int]]) -> None:
        self._children = children  # (process id, read end of its stdout)

    def wait(self) -> tuple[dict[str, str], list[str]] | None:
        outputs = []
        ok = True
        for pid, reader in self._children:
            outputs.append(_read_all(reader))
            _, status = os.waitpid(pid, 0)
            ok = ok and os.waitstatus_to_exitcode(status) == 0
        if not ok:
            return None
        staged, untracked = outputs
        return parse_staged(staged.split("\0")), [name for name in untracked.split("\0") if name]


def listings(root: str) -> Listings | None:
    """Start both listings in `root`; None where they cannot be started (no posix_spawn)."""
    if not hasattr(os, "posix_spawnp"):
        return None
    children: list[tuple[int, int]] = []
    try:
        for args in (STAGED, UNTRACKED):
            children.append(_start(["git", "-C", root, *args]))
    except OSError:
        for pid, reader in children:  # the one that started: closing its pipe ends it
            os.close(reader)
            os.waitpid(pid, 0)
        return None
    return Listings(children)


def parse_staged(entries: Iterable[str]) -> dict[str, str]:
    """The entries of `git ls-files -z --stage` as path: blob id."""
    staged: dict[str, str] = {}
    for entry in entries:
        if entry:
            meta, path = entry.split("\t", 1)
            staged[path] = meta.split()[1]
    return staged


def _start(argv: list[str]) -> tuple[int, int]:
    reader, writer = os.pipe()  # not inherited: only the dup2'ed copy reaches the child
    try:
        pid = os.posix_spawnp(
            argv[0],
            argv,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, writer, 1),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            ],
        )
    except OSError:
        os.close(reader)
        raise
    finally:
        os.close(writer)
    return pid, reader


def _read_all(reader: int) -> str:
    chunks = []
    try:
        while chunk := os.read(reader, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(reader)
    return b"".join(chunks).decode("utf-8", errors="replace")
