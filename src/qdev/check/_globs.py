"""Glob patterns over repo-relative paths, where `**` spans folders and `*` stays in one."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches(path: str, pattern: str) -> bool:
    return _compile(pattern.removeprefix("./")).match(path) is not None


def select(paths: Iterable[str], patterns: Iterable[str]) -> list[str]:
    compiled = [_compile(pattern.removeprefix("./")) for pattern in patterns]
    return [path for path in paths if any(regex.match(path) for regex in compiled)]
