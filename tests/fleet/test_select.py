"""Selection: `--where` expressions (a parser, so property-tested), labels, kinds and shards on
the acceptance fleet."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qdev.errors import UsageError
from qdev.fleet.manifest import Fleet, Member
from qdev.fleet.select import (
    FIELDS,
    FILE_FIELDS,
    ORDERING,
    VERSION_FIELDS,
    Selection,
    Where,
    by_labels,
    parse_shard,
    parse_where,
)
from tests.cli_runner import RunQdev

from . import world as w

VALUE = st.text(string.ascii_letters + string.digits + "._-*/", min_size=1, max_size=20)


def compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


@st.composite
def expressions(draw: st.DrawFn) -> Where:
    field = draw(st.sampled_from(FIELDS))
    if field in VERSION_FIELDS:
        op = draw(st.sampled_from(["=", "!=", *ORDERING]))
        parts = draw(st.lists(st.integers(0, 99), min_size=1, max_size=3))
        value = draw(st.sampled_from(["", "v"])) + ".".join(map(str, parts))
    elif field == "grep":  # a regular expression: only valid ones are expressions
        op, value = "=", draw(VALUE.filter(compiles))
    elif field in FILE_FIELDS:
        op, value = "=", draw(VALUE.filter(lambda v: ".." not in v and not v.startswith("/")))
    else:
        op, value = draw(st.sampled_from(["=", "!="])), draw(VALUE)
    return Where(field, op, value, draw(st.booleans()))


@given(expressions())
def test_an_expression_reads_back_as_itself(where: Where) -> None:
    assert parse_where(str(where)) == where


@given(st.text(max_size=40))
def test_any_text_is_an_expression_or_a_usage_error_naming_it(text: str) -> None:
    try:
        parsed: Where | UsageError = parse_where(text)
    except UsageError as exc:
        parsed = exc
    if isinstance(parsed, UsageError):
        assert "--where" in parsed.message
        assert parsed.fix
    else:
        assert parsed.field in FIELDS
        assert parsed.value == parsed.value.strip()
        assert parsed.value


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("profile", "expected FIELD OP VALUE"),
        ("colour=red", "unknown field"),
        ("version<", "no value"),
        ("group<rates", "compared with = or != only"),
        ("version<two", "not a version"),
        ("has!=uv.lock", "negate with a leading !"),
        ("has=../other", "a path inside the repo"),
        ("grep=(unclosed", "not a POSIX extended regular expression (Unmatched ( or \\()"),
        ("grep=(?i)pandas", "not a POSIX extended regular expression"),
        ("grep=pandas==\\d", "\\d and \\D are not classes"),
    ],
)
def test_bad_expressions_say_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(UsageError, match=None) as caught:
        parse_where(text)
    assert complaint in caught.value.message


@given(st.integers(1, 40), st.integers(1, 12))
def test_shards_split_the_fleet_evenly_and_exactly_once(repos: int, shards: int) -> None:
    fleet = Fleet(Path("fleet.toml"), tuple(Member(f"m{n:03d}", path=".") for n in range(repos)))
    parts = [by_labels(fleet, Selection(shard=(i, shards))) for i in range(1, shards + 1)]
    names = sorted(m.name for part in parts for m in part)
    assert names == sorted(m.name for m in fleet.members)
    sizes = [len(part) for part in parts]
    assert max(sizes) - min(sizes) <= 1


def test_a_shard_must_be_one_of_n() -> None:
    assert parse_shard("2/8") == (2, 8)
    for bad in ("0/3", "4/3", "1", "a/b"):
        with pytest.raises(UsageError):
            parse_shard(bad)


@pytest.mark.e2e
def test_selection_by_group_tag_kind_and_content_on_the_acceptance_fleet(
    fleet: Path, qdev: RunQdev
) -> None:
    def names(*args: str) -> list[str]:
        ran = qdev("fleet", "list", "--json", *args)
        assert ran.code == 0, ran.err
        return [r["name"] for r in json.loads(ran.out)["repos"]]

    everyone = w.names()
    assert names() == everyone
    assert names("-g", "risk") == [n for n in everyone if w.group_of(n) == "risk"]
    assert names("-t", "prod", "-g", "rates") == [
        n for n in everyone if w.tags_of(n) and w.group_of(n) == "rates"
    ]
    readable = [n for n in everyone if n not in (w.BY_URL, w.UNREACHABLE)]
    kind = names("-k", "service", "-w", f"!name={w.BY_URL}")
    assert kind == [n for n in readable if w.kind_of(n) == "service"]
    old = names("-w", "version<2.0.0", "-g", "r*")
    assert old == [n for n in readable if w.ref_of(n) == "v1.0.0"]
    assert names("-w", "ref>=v2", "-w", "ref!=v3.0.0") == [
        n for n in readable if w.ref_of(n) == "v2.0.0"
    ]
    assert names("-w", "!has=.editorconfig", "-w", "version=2.0.0") == [w.DELETED]
    assert names("-w", "has=tests/test_planted.py") == [w.FAILING]
    assert names("-w", "grep=line-length = 120") == [w.CONFLICT]
    assert names("-r", "r01", "-r", "r02") == ["r01", "r02"]

    unknown = qdev("fleet", "list", "-r", "r99")
    left_out = qdev("fleet", "list", "-w", "kind=library")
    assert unknown.code == 2
    assert "not in the fleet: r99" in unknown.err
    assert f"{w.UNREACHABLE}: left out" in left_out.err
