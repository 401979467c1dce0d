"""One layer of configuration (a file, the environment, the command line) and where its values are.

A layer is raw data (plain dicts, as TOML gives them) plus enough to say where each value came
from: a file with line and column, an environment variable, or a command-line key. Layers are
merged deeply (tables merge, lists and scalars replace) and validated together by the loader.
"""

from __future__ import annotations

import json
import re
import stat
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from qdev.config._locate import KeyPath, Redefinition, first_redefinition, locate_keys
from qdev.config.rules import MAX_DEPTH
from qdev.errors import ConfigError

LayerKind = Literal["default", "profile", "repo", "user", "env", "override"]

MAX_FILE_BYTES = 1024 * 1024
"""A configuration file larger than this is refused before it is parsed."""

ENV_PREFIX = "QDEV_"
ENV_SEPARATOR = "__"
_TOML_ERROR_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_KEY_IN_MESSAGE = re.compile(r"\(('[^']*',? ?)+\)")  # tomllib names keys as ('check', 'x')


def builtin_profiles_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "profile" / "builtin"


def profile_label(file: Path) -> str | None:
    """How a profile file that lives inside qdev or its cache is named to the user:
    "profile default (built-in)", "profile from git at commit 0123abcd4567"; None for a
    profile folder the user named by its path."""
    from qdev.profile.cache import cache_dir

    try:
        resolved = file.resolve()
    except OSError:
        return None
    builtin = _parts_below(resolved, builtin_profiles_dir())
    if len(builtin) > 1:
        return f"profile {builtin[0]} (built-in)"
    cached = _parts_below(resolved, cache_dir() / "trees")
    return f"profile from git at commit {cached[0][:12]}" if len(cached) > 1 else None


def _parts_below(path: Path, folder: Path) -> tuple[str, ...]:
    try:
        return path.relative_to(folder.resolve()).parts
    except (ValueError, OSError):
        return ()


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except (ValueError, OSError):  # outside the current folder, or that folder is gone
        return str(path)


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, except that TOML also escapes DEL."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def dotted(path: KeyPath) -> str:
    """("check", "custom", "a.b", "run", 0) -> check.custom."a.b".run[0]"""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if _BARE_KEY.fullmatch(part) else toml_string(part)
            text += f".{name}" if text else name
    return text


@dataclass(frozen=True)
class Source:
    """Where one value came from."""

    kind: LayerKind
    file: Path | None = None
    line: int | None = None
    column: int | None = None
    variable: str | None = None
    """The environment variable or command-line key, for the env and override layers."""

    def __str__(self) -> str:
        if self.kind == "default":
            return "default"
        if self.kind == "env":
            return f"environment variable {self.variable or '(a QDEV_* variable)'}"
        if self.kind == "override":
            return f"command line ({self.variable or 'an option'})"
        assert self.file is not None
        label = profile_label(self.file) if self.kind == "profile" else None
        if label is not None:
            return f"{label}, line {self.line}" if self.line is not None else label
        where = display_path(self.file)
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return where

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "file": str(self.file) if self.file else None,
            "line": self.line,
            "column": self.column,
            "variable": self.variable,
            "text": str(self),
        }


@dataclass
class Layer:
    kind: LayerKind
    data: dict[str, Any]
    file: Path | None = None
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    """Key path (as in `data`) -> (line, column) in `file`."""
    variables: dict[KeyPath, str] = field(default_factory=dict)
    """Key path -> environment variable or command-line key that set it."""

    def source(self, path: KeyPath) -> Source:
        """The source of the value at `path` (or of its nearest located parent)."""
        if self.kind in ("env", "override"):
            return Source(self.kind, variable=self._variable_for(path))
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.positions:
                line, column = self.positions[path[:cut]]
                return Source(self.kind, self.file, line, column)
        return Source(self.kind, self.file)

    def _variable_for(self, path: KeyPath) -> str | None:
        """The variable that set `path`, a table above it, or the most of the way to it.

        A problem can sit where no variable points: a required key missing from a table
        that a variable for a sibling key made (QDEV_CHECK__CUSTOM__X__CWD without a run).
        """

        def shared(var_path: KeyPath) -> int:
            count = 0
            for mine, theirs in zip(path, var_path, strict=False):
                if mine != theirs:
                    break
                count += 1
            return count

        best = max(self.variables.items(), key=lambda item: shared(item[0]), default=None)
        if best is None or shared(best[0]) == 0:
            return None
        return best[1]

    def holds(self, path: KeyPath) -> bool:
        node: Any = self.data
        for part in path:
            inside_table = isinstance(node, dict) and part in node
            inside_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
            if not (inside_table or inside_list):
                return False
            node = node[part]
        return True


def walk(data: Mapping[str, Any], prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Every table and value path in `data`; lists are values (they replace, never merge)."""
    for key, value in data.items():
        path = (*prefix, key)
        yield path
        if isinstance(value, dict):
            yield from walk(value, path)


def deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: tables merge key by key, everything else in `over` replaces."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# -- files --------------------------------------------------------------------------------------


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; every way it can fail is a ConfigError naming the file (and line)."""
    name = display_path(path)
    raw = _read_bytes(path, name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            [f"{name}:{line}:{column}: not UTF-8 text (byte 0x{raw[exc.start]:02x})"],
            fix="save the file as UTF-8",
        ) from None
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = _toml_error(name, str(exc), text)
        raise ConfigError([problem], fix="correct the TOML syntax") from None
    except RecursionError:
        found = _deep_value(text)
        at, key_text = (f"{name}:{found[0]}:1", found[1]) if found else (name, "")
        raise _too_deep(at, key_text) from None
    deep = too_deep(data)
    if deep is not None:
        key = deep[: next((i for i, part in enumerate(deep) if isinstance(part, int)), len(deep))]
        position = locate_keys(text).get(key)
        at = f"{name}:{position[0]}:{position[1]}" if position else name
        raise _too_deep(at, dotted(key))
    return data, text


def too_deep(data: object) -> KeyPath | None:
    """The path of a value nested more than MAX_DEPTH tables or arrays deep, if any."""
    todo: list[tuple[object, KeyPath]] = [(data, ())]
    while todo:
        node, path = todo.pop()
        if len(path) > MAX_DEPTH:
            return path
        if isinstance(node, dict):
            todo.extend((value, (*path, str(key))) for key, value in node.items())
        elif isinstance(node, list):
            todo.extend((item, (*path, index)) for index, item in enumerate(node))
    return None


def _deep_value(text: str) -> tuple[int, str] | None:
    """Line and key of the value whose brackets first open deeper than MAX_DEPTH.

    Strings are not skipped: this runs only on text so deep that tomllib gave up.
    """
    depth, key = 0, ""
    for number, line in enumerate(text.splitlines(), start=1):
        for column, char in enumerate(line):
            if char in "[{":
                if depth == 0:
                    key = line[:column].partition("=")[0].strip() if "=" in line[:column] else ""
                depth += 1
            elif char in "]}":
                depth -= 1
            if depth > MAX_DEPTH:
                return number, key
    return None


def _too_deep(at: str, key: str) -> ConfigError:
    key = f" {key}:" if key else ""
    return ConfigError(
        [
            f"{at}:{key} values are nested more than {MAX_DEPTH} levels deep "
            "(arrays or tables inside each other); qdev's settings are a few levels deep"
        ],
        fix="remove the nested value; `qdev config schema` shows every setting",
    )


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise ConfigError([f"{name}: cannot read: it is a broken symbolic link"]) from None
        raise ConfigError([f"{name}: no such file"]) from None
    except OSError as exc:
        raise ConfigError([f"{name}: cannot read: {exc.strerror}"]) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(
            [f"{name}: cannot read: it is a folder, not a file"], fix=f"remove or rename {name}"
        )
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError([f"{name}: cannot read: not a regular file"])
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except PermissionError:
        raise ConfigError(
            [f"{name}: cannot read: permission denied"], fix=f"make it readable: chmod u+r {name}"
        ) from None
    except OSError as exc:
        raise ConfigError([f"{name}: cannot read: {exc.strerror}"]) from None
    if len(raw) > MAX_FILE_BYTES:  # read no further than the limit, whatever stat says
        size = max(info.st_size, len(raw))
        raise ConfigError(
            [
                f"{name}: the file is {size / 1e6:.1f} MB; configuration files over "
                f"{MAX_FILE_BYTES // 1024} KB are refused"
            ],
            fix="check that this is the right file; a qdev configuration is a few KB",
        )
    return raw


def _toml_error(name: str, message: str, text: str) -> str:
    match = _TOML_ERROR_AT.search(message)
    reason = message[: match.start()] if match else message.removesuffix(" (at end of document)")
    where = (int(match.group(1)), int(match.group(2))) if match else None
    if reason.startswith(("Cannot overwrite", "Cannot declare", "Cannot mutate")):
        again = first_redefinition(text)
        if again is not None:
            where, reason = again.position, _defined_twice(again)
        else:
            named = _KEY_IN_MESSAGE.search(reason)
            key = ".".join(re.findall(r"'([^']*)'", named.group())) if named else ""
            reason = f'key "{key}" is defined twice' if key else "a key or table is defined twice"
    elif reason.startswith("Duplicate inline table key "):
        key = reason.removeprefix("Duplicate inline table key ").strip("'")
        reason = f'key "{key}" is defined twice in one table'
    elif reason == "Illegal character '\\n'":
        reason += " (a string without its closing quote?)"
    if where is None:
        return f"{name}: invalid TOML: {reason} (at the end of the file)"
    return f"{name}:{where[0]}:{where[1]}: invalid TOML: {reason}"


def _defined_twice(again: Redefinition) -> str:
    what = f"table [{dotted(again.path)}]" if again.table else f'key "{dotted(again.path)}"'
    return f"{what} is defined twice (first at line {again.first_line})"


def file_layer(kind: LayerKind, path: Path) -> Layer:
    data, text = read_toml(path)
    return Layer(kind, data, path, locate_keys(text))


# -- environment and command line ---------------------------------------------------------------


def parse_env_value(raw: str) -> object:
    """A TOML value where the text is one ("85", "true", '["3.12"]'), else the text itself.

    A value nested too deeply to be configuration raises ValueError.
    """
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw
    except RecursionError:
        value = None
    if value is None or too_deep(value) is not None:
        raise ValueError(f"values nested more than {MAX_DEPTH} levels deep")
    return value


def env_layer(environ: Mapping[str, str]) -> Layer:
    """QDEV_SECTION__KEY=value variables, e.g. QDEV_CHECK__COVERAGE=85.

    Only names holding a double underscore are configuration; other QDEV_ variables belong to
    other parts of qdev and are left alone.
    """
    pairs = {
        name: value
        for name, value in environ.items()
        if name.startswith(ENV_PREFIX) and ENV_SEPARATOR in name
    }
    items: dict[KeyPath, tuple[str, object]] = {}
    problems: list[str] = []
    for name in sorted(pairs):
        parts = name[len(ENV_PREFIX) :].lower().split(ENV_SEPARATOR)
        if not all(parts):
            problems.append(
                f"environment variable {name}: not a configuration variable name; "
                f"write QDEV_SECTION__KEY, e.g. QDEV_CHECK__COVERAGE=85"
            )
            continue
        try:
            items[tuple(parts)] = (name, parse_env_value(pairs[name]))
        except ValueError as exc:
            problems.append(f"environment variable {name}: {exc}; a setting is a few levels deep")
    return _assemble("env", items, problems)


def override_layer(overrides: Mapping[str, object]) -> Layer:
    items: dict[KeyPath, tuple[str, object]] = {}
    problems: list[str] = []
    for key, value in overrides.items():
        parts = tuple(key.split("."))
        if not all(parts):
            problems.append(f"command line ({key}): not a dotted configuration key like check.jobs")
            continue
        items[parts] = (key, value)
    return _assemble("override", items, problems)


def _assemble(
    kind: LayerKind, items: dict[KeyPath, tuple[str, object]], problems: list[str]
) -> Layer:
    layer = Layer(kind, {})
    label = "environment variable" if kind == "env" else "command line"
    for path, (name, value) in items.items():
        if path[0] == "extends":
            problems.append(f"{label} {name}: extends can only be set in qdev.toml or [tool.qdev]")
            continue
        node = layer.data
        for part in path[:-1]:
            node = node.setdefault(str(part), {})
            if not isinstance(node, dict):
                break
        if not isinstance(node, dict) or isinstance(node.get(str(path[-1])), dict):
            problems.append(
                f"{label} {name}: clashes with another one that sets a key above or inside "
                f"{dotted(path)}"
            )
            continue
        node[str(path[-1])] = value
        layer.variables[path] = name
    if problems:
        fix = None if kind == "override" else "unset or rename the variable"
        raise ConfigError(problems, fix=fix)
    return layer
