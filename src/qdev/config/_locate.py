"""Where each key of a TOML document starts (line and column), for error messages.

tomllib parses fast but forgets positions and tomlkit is slow on big files, so this is a small
scanner that runs only over text tomllib has already accepted. It records the position of every
table header, key and array element by its path, e.g. ("check", "coverage") or
("project", "python", 1). It is best effort: on anything it does not understand it stops and
returns what it has found, and callers fall back to the nearest known parent.
"""

from __future__ import annotations

import bisect
import contextlib
import re
import tomllib
from dataclasses import dataclass

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Redefinition:
    """A key or table defined a second time, and where it was defined first."""

    path: KeyPath
    position: tuple[int, int]
    first_line: int
    table: bool


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = frozenset(",]}#\n\r")


class _Stop(Exception):
    """The scanner met something it does not understand: keep what was found so far."""


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.found: dict[KeyPath, int] = {}
        self.array_tables: dict[KeyPath, int] = {}
        self.headers: set[KeyPath] = set()
        self.values: set[KeyPath] = set()
        self.redefined: tuple[KeyPath, int, int, bool] | None = None
        """(path, offset, first offset, is a table) of the first key or table that was
        already defined (tomllib rejects those)."""

    def redefinition(self, path: KeyPath, offset: int, *, seen: bool, table: bool) -> None:
        if seen and self.redefined is None:
            self.redefined = (path, offset, self.found.get(path, offset), table)

    # -- low-level helpers -------------------------------------------------------------------

    def peek(self, chars: str) -> bool:
        return self.text.startswith(chars, self.i)

    def at_end(self) -> bool:
        return self.i >= len(self.text)

    def skip_blank(self, *, newlines: bool) -> None:
        """Skip spaces, tabs, comments and (if asked) line breaks."""
        text = self.text
        while self.i < len(text):
            char = text[self.i]
            if char in " \t" or (newlines and char in "\r\n"):
                self.i += 1
            elif char == "#":
                end = text.find("\n", self.i)
                self.i = len(text) if end < 0 else end
            else:
                return

    def expect(self, chars: str) -> None:
        if not self.peek(chars):
            raise _Stop
        self.i += len(chars)

    def record(self, path: KeyPath, offset: int) -> None:
        for cut in range(1, len(path) + 1):
            self.found.setdefault(path[:cut], offset)

    # -- keys --------------------------------------------------------------------------------

    def simple_key(self) -> str:
        text = self.text
        if self.peek('"'):
            end = self.i + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            raw = text[self.i : end + 1]
            self.i = end + 1
            return next(iter(tomllib.loads(f"{raw} = 0")))
        if self.peek("'"):
            end = text.find("'", self.i + 1)
            if end < 0:
                raise _Stop
            key = text[self.i + 1 : end]
            self.i = end + 1
            return key
        match = _BARE_KEY.match(text, self.i)
        if not match:
            raise _Stop
        self.i = match.end()
        return match.group()

    def dotted_key(self) -> list[str]:
        keys = [self.simple_key()]
        while True:
            self.skip_blank(newlines=False)
            if not self.peek("."):
                return keys
            self.i += 1
            self.skip_blank(newlines=False)
            keys.append(self.simple_key())

    def resolve(self, keys: list[str]) -> KeyPath:
        """A header path with the current index of every array of tables on the way."""
        path: KeyPath = ()
        for key in keys:
            path = (*path, key)
            if path in self.array_tables:
                path = (*path, self.array_tables[path])
        return path

    # -- values ------------------------------------------------------------------------------

    def skip_string(self) -> None:
        text = self.text
        for quote in ('"""', "'''"):
            if self.peek(quote):
                end = self.i + 3
                while True:
                    if quote == '"""' and text.startswith("\\", end):
                        end += 2
                        continue
                    if text.startswith(quote, end):
                        break
                    if end >= len(text):
                        raise _Stop
                    end += 1
                end += 3
                for _ in range(2):  # up to two quotes may sit right before the closing ones
                    if text.startswith(quote[0], end):
                        end += 1
                self.i = end
                return
        quote = text[self.i]
        end = self.i + 1
        while end < len(text) and text[end] != quote:
            end += 2 if quote == '"' and text[end] == "\\" else 1
        self.i = end + 1

    def value(self, path: KeyPath, offset: int) -> None:
        self.record(path, offset)
        if self.at_end():
            raise _Stop
        char = self.text[self.i]
        if char in "\"'":
            self.skip_string()
        elif char == "[":
            self.array(path)
        elif char == "{":
            self.inline_table(path)
        else:
            while self.i < len(self.text) and self.text[self.i] not in _SCALAR_END:
                self.i += 1

    def array(self, path: KeyPath) -> None:
        self.i += 1
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek("]"):
                self.i += 1
                return
            self.value((*path, index), self.i)
            index += 1
            self.skip_blank(newlines=True)
            if self.peek(","):
                self.i += 1
            elif not self.peek("]"):
                raise _Stop

    def inline_table(self, path: KeyPath) -> None:
        self.i += 1
        while True:
            self.skip_blank(newlines=True)
            if self.peek("}"):
                self.i += 1
                return
            self.key_value(path)
            self.skip_blank(newlines=True)
            if self.peek(","):
                self.i += 1
            elif not self.peek("}"):
                raise _Stop

    def key_value(self, table: KeyPath) -> None:
        offset = self.i
        keys = self.dotted_key()
        path = (*table, *keys)
        self.redefinition(path, offset, seen=path in self.found, table=False)
        self.values.add(path)
        self.skip_blank(newlines=False)
        self.expect("=")
        self.skip_blank(newlines=False)
        self.value((*table, *keys), offset)

    # -- document ----------------------------------------------------------------------------

    def document(self) -> None:
        table: KeyPath = ()
        while True:
            self.skip_blank(newlines=True)
            if self.at_end():
                return
            offset = self.i
            if self.peek("[["):
                self.i += 2
                self.skip_blank(newlines=False)
                keys = self.dotted_key()
                self.expect("]]")
                parent = self.resolve(keys[:-1])
                array = (*parent, keys[-1])
                self.array_tables[array] = self.array_tables.get(array, -1) + 1
                table = (*array, self.array_tables[array])
                self.record(table, offset)
            elif self.peek("["):
                self.i += 1
                self.skip_blank(newlines=False)
                table = self.resolve(self.dotted_key())
                self.expect("]")
                seen = table in self.headers or table in self.values
                self.redefinition(table, offset, seen=seen, table=True)
                self.headers.add(table)
                self.record(table, offset)
            else:
                self.key_value(table)


def _scan(text: str) -> _Scanner:
    scanner = _Scanner(text)
    with contextlib.suppress(
        _Stop, tomllib.TOMLDecodeError, StopIteration, IndexError, RecursionError
    ):
        scanner.document()
    return scanner


def _line_and_column(line_starts: list[int], offset: int) -> tuple[int, int]:
    line = bisect.bisect_right(line_starts, offset)
    return line, offset - line_starts[line - 1] + 1


def _line_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in re.finditer(r"\n", text)]


def locate_keys(text: str) -> dict[KeyPath, tuple[int, int]]:
    """Map every key path of a valid TOML document to its (line, column), both from 1."""
    scanner = _scan(text)
    starts = _line_starts(text)
    return {path: _line_and_column(starts, offset) for path, offset in scanner.found.items()}


def first_redefinition(text: str) -> Redefinition | None:
    """Which key or table is defined a second time, and where: tomllib does not always say."""
    scanner = _scan(text)
    if scanner.redefined is None:
        return None
    path, offset, first, table = scanner.redefined
    starts = _line_starts(text)
    return Redefinition(
        path, _line_and_column(starts, offset), _line_and_column(starts, first)[0], table
    )
