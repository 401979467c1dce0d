"""What the root conftest's `qdev` fixture gives: the real CLI run in this process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


RunQdev = Callable[..., Ran]
"""`qdev(*args, cwd=None)`: run `qdev ARGS` from `cwd` (the current folder when None)."""
