"""`qdev check`: steps, a parallel runner, a result cache and reporters.

`passes(root)` is the entry point for other commands (the release guard); the rest is
imported lazily so that importing this package costs nothing.
"""

from __future__ import annotations

# Not `typing.TYPE_CHECKING`: the warm check imports this package, and pathlib and typing
# cost milliseconds there.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path


def passes(root: Path) -> tuple[bool, str]:
    """Run the repo's default steps (with the cache): whether all passed, and a summary line."""
    from qdev.check.api import passes as _passes

    return _passes(root)


__all__ = ["passes"]
