"""Three-way merges of structured files (TOML, YAML): key by key, comments and order kept.

base is what the profile rendered last time, ours the repo's file now, theirs the new render.
Per key: the same on both sides stays; a change on one side is taken; a change on both sides to
different values is a conflict named by its key path (`tool.ruff.line-length`,
`repos[repo=local].hooks[id=ruff].entry`), where ours is kept. Tables (mappings) merge key by
key; lists of tables merge item by item when every item has an identity (`id`, `name`, `repo`,
`uses`, `module`, `key`); lists of plain values merge as sets (each side's additions and removals
kept, ours' order) when no side repeats a value; any other list is one value.

The merged text always parses: a conflict keeps ours' value there. `marked` is the same text with
diff3-style markers around each conflicting key, as git would write them, for the work tree.
The edits are made on ours' own round-trip document (tomlkit, ruamel.yaml), so everything ours
has that the merge does not touch keeps its comments, order and formatting.
"""

from __future__ import annotations

import copy
import datetime
import io
import re
from collections.abc import Callable, Mapping, MutableMapping, MutableSequence, Sequence
from dataclasses import dataclass
from typing import Any

IDENTITY_KEYS = ("id", "name", "repo", "uses", "module", "key")
SENTINEL = "QDEVCONFLICT{}Q"


class _Missing:
    """A side that has no value at a key path."""

    def __repr__(self) -> str:
        return "(none)"


MISSING: Any = _Missing()


class Unparseable(ValueError):
    """One of the three texts is not valid in its format: merge it as plain text instead."""


@dataclass(frozen=True)
class Item:
    """A list item's place in a key path: the item whose `key` is `value`."""

    key: str
    value: object

    def __str__(self) -> str:
        return f"[{self.key}={self.value}]"


Segment = str | Item
KeyPath = tuple[Segment, ...]


def render_path(path: KeyPath) -> str:
    text = ""
    for segment in path:
        if isinstance(segment, Item):
            text += str(segment)
        else:
            bare = re.fullmatch(r"[A-Za-z0-9_-]+", segment) is not None
            text += ("." if text else "") + (segment if bare else f'"{segment}"')
    return text or "(the whole file)"


@dataclass(frozen=True)
class Conflict:
    path: KeyPath
    base: Any
    ours: Any
    theirs: Any

    @property
    def key(self) -> str:
        return render_path(self.path)


@dataclass(frozen=True)
class Labels:
    ours: str = "ours"
    base: str = "base"
    theirs: str = "theirs"


@dataclass(frozen=True)
class StructuredMerge:
    text: str
    """The merged document; it parses. At a conflict it holds ours' value."""
    conflicts: tuple[Conflict, ...]
    marked: str
    """`text` with conflict markers around each conflicting key that could be placed."""

    @property
    def clean(self) -> bool:
        return not self.conflicts


# -- plain values and equality ---------------------------------------------------------------


def canonical(value: Any) -> Any:
    """A hashable form where True != 1 and key order does not matter (for equality only)."""
    if value is MISSING:
        return ("missing",)
    if isinstance(value, Mapping):
        return ("map", frozenset((str(k), canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("list", tuple(canonical(v) for v in value))
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, datetime.date | datetime.time):
        return ("time", value.isoformat())
    return (type(value).__name__, value)


# -- formats ---------------------------------------------------------------------------------


class Format:
    """What the merge needs from a round-trip library."""

    name = ""

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def dump(self, doc: Any) -> str:
        raise NotImplementedError

    def plain(self, node: Any) -> Any:
        raise NotImplementedError

    def is_map(self, node: Any) -> bool:
        return isinstance(node, MutableMapping)

    def is_seq(self, node: Any) -> bool:
        return isinstance(node, MutableSequence) and not isinstance(node, str)

    def clone(self, node: Any) -> Any:
        return copy.deepcopy(node)

    def replace(self, mapping: Any, key: str, new: Any, old: Any, base: Any) -> None:
        mapping[key] = new

    def insert(self, mapping: Any, key: str, value: Any, after: str | None) -> None:
        mapping[key] = value

    def seq_value(self, node: Any) -> Any:
        """A node fit to insert in a list of ours."""
        return self.clone(node)

    def anchorable(self, parent: Any) -> bool:
        """Whether a key of `parent` sits on its own line, so markers can wrap it."""
        return self.is_map(parent)

    def sentinel_line(self, line: str, sentinel: str) -> tuple[str, str] | None:
        """(prefix, key text) when `line` is just `key = sentinel`, else None."""
        raise NotImplementedError

    def side(self, key_text: str, node: Any, prefix: str) -> list[str]:
        raise NotImplementedError


class TomlFormat(Format):
    name = "TOML"

    def parse(self, text: str) -> Any:
        import tomlkit
        import tomlkit.exceptions

        try:
            return tomlkit.parse(text)
        except tomlkit.exceptions.TOMLKitError as exc:
            raise Unparseable(str(exc)) from exc

    def dump(self, doc: Any) -> str:
        import tomlkit

        return tomlkit.dumps(doc)

    def plain(self, node: Any) -> Any:
        if node is MISSING:
            return MISSING
        return node.unwrap() if hasattr(node, "unwrap") else node

    def replace(self, mapping: Any, key: str, new: Any, old: Any, base: Any) -> None:
        # The user's own comment on the line stays; one the profile wrote follows the profile.
        old_trivia = getattr(old, "trivia", None)
        new_trivia = getattr(new, "trivia", None)
        base_comment = getattr(getattr(base, "trivia", None), "comment", None)
        if old_trivia is not None and new_trivia is not None and old_trivia.comment != base_comment:
            new_trivia.comment_ws = old_trivia.comment_ws
            new_trivia.comment = old_trivia.comment
        mapping[key] = new

    def anchorable(self, parent: Any) -> bool:
        from tomlkit.items import InlineTable

        return self.is_map(parent) and not isinstance(parent, InlineTable)

    def sentinel_line(self, line: str, sentinel: str) -> tuple[str, str] | None:
        found = re.fullmatch(rf'(\s*)(.+?)\s*=\s*"{sentinel}"\s*(?:#.*)?', line.rstrip("\r\n"))
        return (found.group(1), found.group(2)) if found else None

    def side(self, key_text: str, node: Any, prefix: str) -> list[str]:
        import tomlkit
        from tomlkit.items import AoT, Table

        if node is MISSING:
            return []
        if isinstance(node, Table | AoT):
            raise Unparseable("a table cannot be shown on one key's lines")
        item = node if hasattr(node, "as_string") else tomlkit.item(node)
        value = item.as_string().rstrip("\n")
        comment = getattr(getattr(item, "trivia", None), "comment", "")
        return f"{prefix}{key_text} = {value}{'  ' + comment if comment else ''}".split("\n")


class YamlFormat(Format):
    name = "YAML"

    def __init__(self, mapping: int = 2, sequence: int = 4, offset: int = 2) -> None:
        self.indents = (mapping, sequence, offset)

    def _yaml(self) -> Any:
        from ruamel.yaml import YAML

        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 4096  # never fold a long line the user wrote on one
        mapping, sequence, offset = self.indents
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        return yaml

    @classmethod
    def for_text(cls, text: str) -> YamlFormat:
        """Indentation as `text` has it, so a dump changes only what the merge changed."""
        sequence, offset = 4, 2
        lines = text.splitlines()
        for index, line in enumerate(lines[:-1]):
            stripped = line.rstrip()
            if not stripped.endswith(":") or stripped.lstrip().startswith("#"):
                continue
            following = lines[index + 1]
            if following.lstrip().startswith("- "):
                parent = len(line) - len(line.lstrip())
                dash = len(following) - len(following.lstrip())
                offset = dash - parent
                sequence = offset + 2
                break
        mapping = 2
        for index, line in enumerate(lines[:-1]):
            stripped = line.rstrip()
            following = lines[index + 1]
            if stripped.endswith(":") and following.strip() and ":" in following:
                if following.lstrip().startswith(("- ", "#")):
                    continue
                step = (len(following) - len(following.lstrip())) - (len(line) - len(line.lstrip()))
                if step > 0:
                    mapping = step
                    break
        return cls(mapping, max(sequence, offset + 2), offset)

    def parse(self, text: str) -> Any:
        from ruamel.yaml.error import YAMLError

        try:
            return self._yaml().load(text)
        except (YAMLError, ValueError) as exc:
            raise Unparseable(str(exc)) from exc

    def dump(self, doc: Any) -> str:
        stream = io.StringIO()
        self._yaml().dump(doc, stream)
        return stream.getvalue()

    def plain(self, node: Any) -> Any:
        if node is MISSING:
            return MISSING
        if isinstance(node, Mapping):
            return {str(k): self.plain(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.plain(v) for v in node]
        if isinstance(node, bool):
            return bool(node)
        if isinstance(node, str):
            return str(node)
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        return node

    def insert(self, mapping: Any, key: str, value: Any, after: str | None) -> None:
        keys = list(mapping.keys())
        position = keys.index(after) + 1 if after in keys else len(keys)
        if hasattr(mapping, "insert"):
            mapping.insert(position, key, value)
        else:
            mapping[key] = value

    def anchorable(self, parent: Any) -> bool:
        flow = getattr(getattr(parent, "fa", None), "flow_style", lambda: False)()
        return self.is_map(parent) and not flow

    def sentinel_line(self, line: str, sentinel: str) -> tuple[str, str] | None:
        found = re.fullmatch(rf"(\s*(?:-\s+)?)(.+?):\s+{sentinel}\s*(?:#.*)?", line.rstrip("\r\n"))
        return (found.group(1), found.group(2)) if found else None

    def side(self, key_text: str, node: Any, prefix: str) -> list[str]:
        if node is MISSING:
            return []
        from ruamel.yaml.comments import CommentedMap

        holder = CommentedMap()
        holder["QDEVKEY"] = node
        lines = self.dump(holder).rstrip("\n").split("\n")
        lines[0] = lines[0].replace("QDEVKEY", key_text, 1)
        rest = " " * len(prefix)
        return [prefix + lines[0]] + [rest + line for line in lines[1:]]


def format_for(path: str) -> type[Format] | None:
    if path.endswith(".toml"):
        return TomlFormat
    if path.endswith((".yml", ".yaml")):
        return YamlFormat
    return None


# -- the merge -------------------------------------------------------------------------------


class _Merger:
    def __init__(self, fmt: Format) -> None:
        self.fmt = fmt
        self.conflicts: list[Conflict] = []

    def conflict(self, path: KeyPath, base: Any, ours: Any, theirs: Any) -> None:
        plain = self.fmt.plain
        self.conflicts.append(Conflict(path, plain(base), plain(ours), plain(theirs)))

    def same(self, a: Any, b: Any) -> bool:
        return bool(canonical(self.fmt.plain(a)) == canonical(self.fmt.plain(b)))

    def merge_map(self, base: Any, ours: Any, theirs: Any, path: KeyPath) -> None:
        base_map = base if self.fmt.is_map(base) else {}
        keys = list(ours.keys())
        keys += [k for k in theirs if k not in ours]
        keys += [k for k in base_map if k not in ours and k not in theirs]
        for key in keys:
            self.merge_key(base_map, ours, theirs, key, (*path, key))

    def merge_key(self, base: Any, ours: Any, theirs: Any, key: str, path: KeyPath) -> None:
        b = base.get(key, MISSING)
        o = ours.get(key, MISSING)
        t = theirs.get(key, MISSING)
        if self.same(o, t):
            return
        if self.same(b, o):
            if t is MISSING:
                del ours[key]
            elif o is MISSING:
                self.fmt.insert(ours, key, self.fmt.clone(t), _before(theirs, key, ours))
            elif self.fmt.is_map(o) and self.fmt.is_map(t):
                # Only theirs changed, but ours may hold its own order and comments: apply the
                # change key by key rather than taking theirs' table whole.
                self.merge_map(b, o, t, path)
            elif not (
                self.fmt.is_seq(o) and self.fmt.is_seq(t) and self.merge_tables(b, o, t, path)
            ):
                self.fmt.replace(ours, key, self.fmt.clone(t), o, b)
            return
        if self.same(b, t):
            return
        if self.fmt.is_map(o) and self.fmt.is_map(t):
            self.merge_map(b, o, t, path)
        elif not (self.fmt.is_seq(o) and self.fmt.is_seq(t) and self.merge_seq(b, o, t, path)):
            self.conflict(path, b, o, t)

    def merge_seq(self, base: Any, ours: Any, theirs: Any, path: KeyPath) -> bool:
        base_list = list(base) if self.fmt.is_seq(base) else []
        lists = (base_list, list(ours), list(theirs))
        if all(self.fmt.is_map(item) for items in lists for item in items):
            return self.merge_tables(base, ours, theirs, path)
        plain = [[canonical(self.fmt.plain(i)) for i in items] for items in lists]
        if any(isinstance(self.fmt.plain(i), dict | list) for items in lists for i in items):
            return False
        if any(len(set(values)) != len(values) for values in plain):
            return False
        self.merge_set(ours, theirs, plain)
        return True

    def merge_tables(self, base: Any, ours: Any, theirs: Any, path: KeyPath) -> bool:
        """Merge lists of tables item by item; False for any other list."""
        lists = (list(base) if self.fmt.is_seq(base) else [], list(ours), list(theirs))
        if not all(self.fmt.is_map(item) for items in lists for item in items):
            return False
        keyed = [_identities(items, self.fmt.plain) for items in lists]
        if any(ids is None for ids in keyed) or not any(lists):
            return False
        self.merge_keyed(lists[0], ours, theirs, path, keyed)  # type: ignore[arg-type]
        return True

    def merge_set(self, ours: Any, theirs: Any, plain: list[list[Any]]) -> None:
        base_set, theirs_list = set(plain[0]), plain[2]
        removed = base_set - set(theirs_list)
        for index in reversed(range(len(ours))):
            if plain[1][index] in removed:
                del ours[index]
        current = [canonical(self.fmt.plain(i)) for i in ours]
        for index, value in enumerate(theirs_list):
            if value in base_set or value in current:
                continue
            at = 0
            for earlier in reversed(theirs_list[:index]):
                if earlier in current:
                    at = current.index(earlier) + 1
                    break
            ours.insert(at, self.fmt.seq_value(theirs[index]))
            current.insert(at, value)

    def merge_keyed(
        self,
        base: list[Any],
        ours: Any,
        theirs: Any,
        path: KeyPath,
        keyed: list[list[Item]],
    ) -> None:
        base_ids, ours_ids, theirs_ids = keyed
        by_base = dict(zip(base_ids, base, strict=True))
        by_theirs = dict(zip(theirs_ids, list(theirs), strict=True))
        for index in reversed(range(len(ours_ids))):
            ident = ours_ids[index]
            if ident in by_base and ident not in by_theirs:
                if self.same(by_base[ident], ours[index]):
                    del ours[index]
                else:
                    self.conflict((*path, ident), by_base[ident], ours[index], MISSING)
        current = [_identity(item, self.fmt.plain) for item in ours]
        for ident, t in by_theirs.items():
            b = by_base.get(ident, MISSING)
            if ident in current:
                o = ours[current.index(ident)]
                if self.same(o, t) or self.same(b, t):
                    continue
                # Key by key even when only theirs changed, so the item keeps ours' comments.
                self.merge_map(b, o, t, (*path, ident))
            elif b is MISSING:
                at = 0
                for earlier in reversed(theirs_ids[: theirs_ids.index(ident)]):
                    if earlier in current:
                        at = current.index(earlier) + 1
                        break
                ours.insert(at, self.fmt.seq_value(t))
                current.insert(at, ident)
            elif not self.same(b, t):
                self.conflict((*path, ident), b, MISSING, t)


def _before(theirs: Any, key: str, ours: Any) -> str | None:
    """The nearest key before `key` in theirs that ours also has: where a new key goes."""
    keys = list(theirs.keys()) if theirs is not MISSING else []
    if key not in keys:
        return None
    for earlier in reversed(keys[: keys.index(key)]):
        if earlier in ours:
            return str(earlier)
    return None


def _identity(item: Any, plain: Callable[[Any], Any]) -> Item | None:
    for key in IDENTITY_KEYS:
        if key in item:
            value = plain(item[key])
            if isinstance(value, str | int) and not isinstance(value, bool):
                return Item(key, value)
    return None


def _identities(items: Sequence[Any], plain: Callable[[Any], Any]) -> list[Item] | None:
    found = [_identity(item, plain) for item in items]
    if any(ident is None for ident in found) or len(set(found)) != len(found):
        return None
    return found  # type: ignore[return-value]


def merge(fmt: Format, base: str | None, ours: str, theirs: str, labels: Labels) -> StructuredMerge:
    """Merge three texts of one format; `base` None when the profile's last render is unknown.

    Raises Unparseable when one of them does not parse.
    """
    if ours == theirs or (base is not None and theirs == base):
        return StructuredMerge(ours, (), ours)
    if base is not None and ours == base:
        return StructuredMerge(theirs, (), theirs)
    base_doc = fmt.parse(base) if base is not None else MISSING
    ours_doc = fmt.parse(ours)
    theirs_doc = fmt.parse(theirs)
    merger = _Merger(fmt)
    if fmt.is_map(ours_doc) and fmt.is_map(theirs_doc):
        merger.merge_map(base_doc, ours_doc, theirs_doc, ())
    elif not merger.same(ours_doc, theirs_doc):
        merger.conflict((), base_doc, ours_doc, theirs_doc)
    changed = merger.conflicts or not merger.same(ours_doc, fmt.parse(ours))
    text = fmt.dump(ours_doc) if changed else ours
    conflicts = tuple(merger.conflicts)
    marked = (
        _with_markers(fmt, text, conflicts, (base_doc, theirs_doc), labels) if conflicts else text
    )
    return StructuredMerge(text, conflicts, marked)


# -- conflict markers ------------------------------------------------------------------------


def _lookup(fmt: Format, doc: Any, path: KeyPath) -> Any:
    node = doc
    for segment in path:
        if isinstance(segment, Item):
            if not fmt.is_seq(node):
                return MISSING
            matches = [i for i in node if fmt.is_map(i) and _identity(i, fmt.plain) == segment]
            if not matches:
                return MISSING
            node = matches[0]
        else:
            if not fmt.is_map(node) or segment not in node:
                return MISSING
            node = node[segment]
    return node


def _anchors(fmt: Format, doc: Any, conflicts: Sequence[Conflict]) -> list[KeyPath]:
    """For each conflict, the nearest key path whose key sits on its own line in `doc`."""
    found: list[KeyPath] = []
    for conflict in conflicts:
        path = conflict.path
        while path:
            parent = _lookup(fmt, doc, path[:-1])
            if isinstance(path[-1], str) and parent is not MISSING and fmt.anchorable(parent):
                break
            path = path[:-1]
        if path and path not in found:
            found.append(path)
    return [p for p in found if not any(p[: len(q)] == q and p != q for q in found)]


def _with_markers(
    fmt: Format, text: str, conflicts: Sequence[Conflict], docs: tuple[Any, Any], labels: Labels
) -> str:
    base_doc, theirs_doc = docs
    anchors = _anchors(fmt, fmt.parse(text), conflicts)
    placeable = _placeable(fmt, text, anchors)
    if not placeable:
        return text
    doc = fmt.parse(text)
    sides = {}
    for number, path in enumerate(placeable):
        ours_node = _lookup(fmt, fmt.parse(text), path)
        sides[SENTINEL.format(number)] = (
            ours_node,
            _lookup(fmt, base_doc, path) if base_doc is not MISSING else MISSING,
            _lookup(fmt, theirs_doc, path),
        )
        _set_sentinel(fmt, doc, path, SENTINEL.format(number), theirs_doc)
    out: list[str] = []
    for line in fmt.dump(doc).splitlines(keepends=True):
        sentinel = next((s for s in sides if s in line), None)
        located = fmt.sentinel_line(line, sentinel) if sentinel else None
        if sentinel is None or located is None:
            out.append(line)
            continue
        prefix, key_text = located
        ours_node, base_node, theirs_node = sides[sentinel]
        try:
            block = [
                f"<<<<<<< {labels.ours}",
                *fmt.side(key_text, ours_node, prefix),
                f"||||||| {labels.base}",
                *fmt.side(key_text, base_node, prefix),
                "=======",
                *fmt.side(key_text, theirs_node, prefix),
                f">>>>>>> {labels.theirs}",
            ]
        except Unparseable:
            return text
        out.extend(entry + "\n" for entry in block)
    return "".join(out)


def _placeable(fmt: Format, text: str, anchors: Sequence[KeyPath]) -> list[KeyPath]:
    doc = fmt.parse(text)
    for number, path in enumerate(anchors):
        _set_sentinel(fmt, doc, path, SENTINEL.format(number), None)
    dumped = fmt.dump(doc).splitlines()
    placeable = []
    for number, path in enumerate(anchors):
        sentinel = SENTINEL.format(number)
        lines = [line for line in dumped if sentinel in line]
        if len(lines) == 1 and fmt.sentinel_line(lines[0], sentinel) is not None:
            placeable.append(path)
    return placeable


def _set_sentinel(fmt: Format, doc: Any, path: KeyPath, sentinel: str, theirs: Any) -> None:
    parent = _lookup(fmt, doc, path[:-1])
    key = path[-1]
    assert isinstance(key, str)
    if key in parent:
        parent[key] = sentinel
    else:
        after = (
            _before(_lookup(fmt, theirs, path[:-1]), key, parent) if theirs is not None else None
        )
        fmt.insert(parent, key, sentinel, after)


def has_markers(text: str) -> bool:
    """Whether `text` holds an unresolved conflict: a `<<<<<<< ` line and a `>>>>>>> ` after it."""
    opened = False
    for line in text.splitlines():
        if line.startswith("<<<<<<< ") or line == "<<<<<<<":
            opened = True
        elif opened and (line.startswith(">>>>>>> ") or line == ">>>>>>>"):
            return True
    return False
