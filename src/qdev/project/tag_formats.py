"""The tag format a repo already uses, from its tags: `v{version}`, `{version}`, `pkg-v{version}`.

A tag is split into a literal prefix and a PEP 440 version that runs to its end; the prefix
never ends in a digit or a dot, so `pkg2-1.0` is `pkg2-` + `1.0`, not `pkg` + `2-1.0`. The
format most tags share wins (ties: the one holding the greatest version), and the latest tag is
the greatest version among the tags of that format.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version


@dataclass(frozen=True)
class TagVersion:
    tag: str
    tag_format: str
    version: Version


def parse_tag(tag: str) -> TagVersion | None:
    """The format and version of one tag, or None when it holds no version at its end.

    The shortest prefix wins, so `pkg-v1.2` is `pkg-v` + `1.2`; the version part is spelled
    as a normalised PEP 440 version would be (no "-" or "_").
    """
    for index, char in enumerate(tag):
        if not char.isdigit():
            continue
        prefix = tag[:index]
        if prefix and (prefix[-1].isdigit() or prefix[-1] == "."):
            continue
        if "{" in prefix or "}" in prefix:
            return None
        if "-" in tag[index:] or "_" in tag[index:]:
            continue  # "pkg2-0" is pkg2- + 0, never pkg + the post-release "2-0"
        try:
            return TagVersion(tag, prefix + "{version}", Version(tag[index:]))
        except InvalidVersion:
            continue
    return None


def infer(tags: Iterable[str]) -> tuple[str | None, str | None]:
    """(tag format, latest tag in it) of `tags`; (None, None) when none holds a version."""
    parsed = [found for found in map(parse_tag, tags) if found is not None]
    if not parsed:
        return None, None
    counts = Counter(found.tag_format for found in parsed)
    best = {
        fmt: max((p for p in parsed if p.tag_format == fmt), key=lambda p: p.version)
        for fmt in counts
    }
    chosen = max(counts, key=lambda fmt: (counts[fmt], best[fmt].version, fmt))
    return chosen, best[chosen].tag
