"""Properties of the parsers behind the facts: tag formats and requires-python."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from qdev.project import requires_python, tag_formats

versions = st.builds(
    lambda parts: ".".join(str(p) for p in parts),
    st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=4),
)
prefixes = st.sampled_from(["", "v", "V", "release-", "pkg-v", "my_lib-", "rates-v", "pkg2-"])


@given(prefixes, versions)
def test_a_tag_made_from_a_format_gives_back_that_format_and_version(
    prefix: str, version: str
) -> None:
    parsed = tag_formats.parse_tag(prefix + version)
    assert parsed is not None
    assert parsed.tag_format == prefix + "{version}"
    assert parsed.version == Version(version)
    assert parsed.tag_format.format(version=version) == prefix + version


@given(prefixes, st.lists(versions, min_size=1, max_size=8, unique=True))
def test_the_latest_tag_is_the_greatest_version_in_the_common_format(
    prefix: str, numbers: list[str]
) -> None:
    tags = [prefix + n for n in numbers] + ["not-a-release", "nightly"]
    found, latest = tag_formats.infer(tags)
    assert found == prefix + "{version}"
    assert latest == prefix + max(numbers, key=Version)


@given(st.lists(versions, min_size=2, max_size=6, unique=True), versions)
def test_the_format_most_tags_share_wins_over_a_stray_one(numbers: list[str], stray: str) -> None:
    found, _ = tag_formats.infer([f"v{n}" for n in numbers] + [stray])
    assert found == "v{version}"


@given(st.text(max_size=20))
def test_any_tag_either_parses_to_a_format_that_reproduces_it_or_is_skipped(tag: str) -> None:
    parsed = tag_formats.parse_tag(tag)
    if parsed is not None:
        head, _, tail = parsed.tag_format.partition("{version}")
        assert tail == ""
        assert tag.startswith(head)
        assert Version(tag[len(head) :]) == parsed.version


def test_tags_holding_no_version_give_no_format() -> None:
    assert tag_formats.infer(["nightly", "stable", "v", ""]) == (None, None)


minors = st.integers(min_value=6, max_value=13)


@given(minors, st.integers(min_value=6, max_value=13))
def test_a_floor_gives_every_minor_from_it_to_the_newest(floor: int, top: int) -> None:
    found = requires_python.supported_minors(f">=3.{floor}", newest=f"3.{top}")
    assert found == [f"3.{m}" for m in range(floor, top + 1)]


@given(minors, minors)
def test_a_ceiling_excludes_the_minors_at_and_above_it(floor: int, ceiling: int) -> None:
    found = requires_python.supported_minors(f">=3.{floor},<3.{ceiling}", newest="3.13")
    assert found == [f"3.{m}" for m in range(floor, min(ceiling, 14))]


@given(minors, st.integers(min_value=0, max_value=9))
def test_a_patch_level_floor_still_admits_its_minor(floor: int, patch: int) -> None:
    found = requires_python.supported_minors(f">=3.{floor}.{patch}", newest="3.13")
    assert found[0] == f"3.{floor}"


@given(minors)
def test_poetry_caret_means_up_to_the_next_major(floor: int) -> None:
    caret = requires_python.supported_minors(f"^3.{floor}", newest="3.13")
    assert caret == requires_python.supported_minors(f">=3.{floor},<4", newest="3.13")


@given(minors)
def test_poetry_tilde_means_that_minor_only(minor: int) -> None:
    assert requires_python.supported_minors(f"~3.{minor}", newest="3.13") == [f"3.{minor}"]


@pytest.mark.parametrize(
    ("requires", "expected"),
    [
        (">=3.9", ["3.9", "3.10", "3.11", "3.12", "3.13"]),
        (">=3.8, !=3.10.*", ["3.8", "3.9", "3.11", "3.12", "3.13"]),
        (">= 3.10", ["3.10", "3.11", "3.12", "3.13"]),
        ("^3.8.0", ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]),
        (">=3.10,<4.0", ["3.10", "3.11", "3.12", "3.13"]),
        ("~=3.11", ["3.11", "3.12", "3.13"]),
        ("3.11.*", ["3.11"]),
        (">=3.12 || ^3.9", ["3.9", "3.10", "3.11", "3.12", "3.13"]),
    ],
)
def test_known_requires_python_spellings(requires: str, expected: list[str]) -> None:
    assert requires_python.supported_minors(requires, newest="3.13") == expected


def test_an_unreadable_requires_python_keeps_the_teams_versions() -> None:
    assert requires_python.python_versions("whatever", ["3.11", "3.12"]) == ["3.11", "3.12"]
    assert requires_python.python_versions(None, ["3.11", "3.12"]) == ["3.11", "3.12"]


def test_the_teams_newest_caps_the_range() -> None:
    assert requires_python.python_versions(">=3.9", ["3.11", "3.12", "3.13"]) == [
        "3.9",
        "3.10",
        "3.11",
        "3.12",
        "3.13",
    ]
    assert requires_python.ruff_target("3.9") == "py39"
