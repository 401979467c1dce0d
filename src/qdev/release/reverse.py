"""Take a release's change back out of a file that someone edited after the release stopped.

The release changed `original` into `new`; the file now holds `new` plus someone's edits. Each
block the release changed is looked up by its content (with a line or more of the context around
it when the block alone is not unique) and put back as it was; where a block cannot be found
exactly once, nothing is guessed and the caller keeps a copy instead.
"""

from __future__ import annotations

from difflib import SequenceMatcher

_MAX_CONTEXT = 3


def take_out(current: str, new: str, original: str) -> str | None:
    """`current` with the change from `original` to `new` reversed, or None when a changed
    block cannot be placed without guessing."""
    lines = current.splitlines(keepends=True)
    after = new.splitlines(keepends=True)
    before = original.splitlines(keepends=True)
    matcher = SequenceMatcher(None, after, before, autojunk=False)
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag == "equal":
            continue
        placed = _replace_once(lines, after, i1, i2, before[j1:j2])
        if placed is None:
            return None
        lines = placed
    return "".join(lines)


def _replace_once(
    lines: list[str], after: list[str], start: int, end: int, replacement: list[str]
) -> list[str] | None:
    """`lines` with the block after[start:end] replaced, found by content with the least
    context that makes it unique; a pure insertion (start == end) needs context to anchor."""
    for context in range(0 if end > start else 1, _MAX_CONTEXT + 1):
        head = after[max(0, start - context) : start]
        tail = after[end : end + context]
        needle = [*head, *after[start:end], *tail]
        if not needle:
            continue
        found = _find_all(lines, needle)
        if len(found) == 1:
            at = found[0] + len(head)
            return [*lines[:at], *replacement, *lines[at + end - start :]]
        if not found:
            return None
    return None


def _find_all(lines: list[str], needle: list[str]) -> list[int]:
    size = len(needle)
    first = needle[0]
    return [
        index
        for index in range(len(lines) - size + 1)
        if lines[index] == first and lines[index : index + size] == needle
    ]
