"""Helpers for the `qdev env` tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class EnvRan:
    code: int
    out: str
    err: str


RunCli = Callable[..., EnvRan]
