"""The key locator finds every key of any valid TOML document at the line it is written on."""

from __future__ import annotations

import tomllib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from qdev.config._locate import KeyPath, Redefinition, first_redefinition, locate_keys
from qdev.config.layers import dotted
from qdev.config.render import toml_value

keys = st.one_of(
    st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=6),
)
scalars = st.one_of(
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(keys, inner, min_size=1, max_size=3)
    ),
    max_leaves=8,
)
tables = st.recursive(
    st.dictionaries(keys, values, max_size=4),
    lambda inner: st.dictionaries(keys, st.one_of(values, inner), max_size=4),
    max_leaves=20,
)


def write(document: dict[str, Any]) -> tuple[str, dict[KeyPath, int]]:
    """TOML text in table style, and the line each key path is written on."""
    lines: list[str] = []
    where: dict[KeyPath, int] = {}

    def table(path: KeyPath, node: dict[str, Any]) -> None:
        children = [(k, v) for k, v in node.items() if isinstance(v, dict) and v]
        plain = [(k, v) for k, v in node.items() if not (isinstance(v, dict) and v)]
        if path:
            lines.append(f"[{'.'.join(dotted((part,)) for part in path)}]  # a comment")
            where.setdefault(path, len(lines))
        for key, value in plain:
            lines.append(f"{dotted((key,))} = {toml_value(value)}")
            where[(*path, key)] = len(lines)
        for key, value in children:
            table((*path, key), value)

    table((), document)
    return "\n".join(lines) + "\n", where


@settings(max_examples=200, deadline=None)
@given(tables)
def test_every_key_is_found_on_its_line(document: dict[str, Any]) -> None:
    text, where = write(document)
    assert tomllib.loads(text) == document  # the writer makes valid TOML of the same data

    found = locate_keys(text)

    for path, line in where.items():
        assert found[path][0] == line, (path, text)


def test_array_elements_and_inline_tables_have_columns() -> None:
    text = 'python = [\n  "3.11",  # oldest\n  "3.x",\n]\nenv = { indexes = { a = "b" } }\n'

    found = locate_keys(text)

    assert found[("python", 1)] == (3, 3)
    assert found[("env", "indexes", "a")] == (5, 21)


def test_multiline_strings_do_not_hide_keys() -> None:
    text = 'a = """x = 1\n[fake]\n"""\nb = \'\'\'\n[also.fake]\'\'\'\nc = "q\\"[" \n[real]\nd = 1\n'

    found = locate_keys(text)

    assert found[("c",)] == (6, 1)
    assert found[("real", "d")] == (8, 1)
    assert ("fake",) not in found


def test_arrays_of_tables_are_indexed() -> None:
    text = "[[step]]\nname = 'a'\n[[step]]\nname = 'b'\n[step.opts]\nx = 1\n"

    found = locate_keys(text)

    assert found[("step", 1, "name")] == (4, 1)
    assert found[("step", 1, "opts", "x")] == (6, 1)


def test_text_it_cannot_follow_gives_what_was_found() -> None:
    found = locate_keys("a = 1\nb = [1, 2\n")

    assert found[("a",)] == (1, 1)


def test_every_kind_of_key_and_string() -> None:
    text = (
        "'literal.key' = 'x'\n"
        '"quoted \\" key" = """a\\"""b"""\n'
        "dotted . key = '''it's'''''\n"
        '[ "spaced" . table ]\n'
        "date = 1979-05-27 07:32:00Z\n"
    )
    assert tomllib.loads(text)

    found = locate_keys(text)

    assert found[("literal.key",)] == (1, 1)
    assert found[('quoted " key',)] == (2, 1)
    assert found[("dotted", "key")] == (3, 1)
    assert found[("spaced", "table", "date")] == (5, 1)


def test_broken_text_stops_without_an_error() -> None:
    for broken in ["a = '''x", 'a = """x', "[a", "a = {b = 1 c = 2}", "'a = 1", "= 1", "a = "]:
        assert isinstance(locate_keys(broken), dict)


def test_the_first_redefinition_is_found_with_its_key_and_first_line() -> None:
    assert first_redefinition("a = 1\nb = 2\na = 3") == Redefinition(("a",), (3, 1), 1, False)
    assert first_redefinition("[t]\nx = 1\n[u]\n[t]\n") == Redefinition(("t",), (4, 1), 1, True)
    assert first_redefinition("[t]\nx = 1\nx = 2\n") == Redefinition(("t", "x"), (3, 1), 2, False)
    assert first_redefinition("[[t]]\nx = 1\n[[t]]\nx = 2\n") is None


def test_a_document_nested_too_deeply_for_the_scanner_stops_without_an_error() -> None:
    deep = "a = " + "[" * 5000 + "]" * 5000
    assert locate_keys(deep)[("a",)] == (1, 1)
    assert first_redefinition("a = 1\n" + deep) == Redefinition(("a",), (2, 1), 1, False)
