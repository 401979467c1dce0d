"""Merging the profile's TOML into the repo's: nothing of the user's is lost, ever."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
import tomlkit
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qdev.errors import UsageError
from qdev.profile.merge import merge_toml

KEYS = st.sampled_from(["a", "b", "c", "tool", "x-y", "dev"])
SCALARS = st.one_of(
    st.integers(-5, 5),
    st.booleans(),
    st.text(alphabet="abc xyz", max_size=5),
    st.lists(st.integers(0, 3), max_size=3),
)
TABLES = st.recursive(
    st.dictionaries(KEYS, SCALARS, max_size=3),
    lambda inner: st.dictionaries(KEYS, st.one_of(SCALARS, inner), max_size=3),
    max_leaves=12,
)


def reference_merge(ours: dict[str, Any], theirs: dict[str, Any], *, force: bool) -> dict[str, Any]:
    merged = dict(ours)
    for key, value in theirs.items():
        if key not in merged:
            merged[key] = value
        elif isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = reference_merge(merged[key], value, force=force)
        elif force:
            merged[key] = value
    return merged


def with_comments(text: str, positions: list[int]) -> tuple[str, list[str]]:
    """`text` with a uniquely numbered comment line inserted before some of its lines."""
    lines = text.splitlines(keepends=True)
    comments = []
    for number, at in enumerate(sorted(positions)):
        comment = f"# note {number}\n"
        lines.insert(min(at + number, len(lines)), comment)
        comments.append(comment.strip())
    return "".join(lines), comments


@settings(max_examples=100, deadline=None)
@given(
    ours=TABLES,
    theirs=TABLES,
    positions=st.lists(st.integers(0, 40), max_size=6),
    force=st.booleans(),
)
def test_merge_keeps_every_comment_and_follows_the_reference(
    ours: dict[str, Any], theirs: dict[str, Any], positions: list[int], force: bool
) -> None:
    existing, comments = with_comments(tomlkit.dumps(ours), positions)
    result = merge_toml(existing, tomlkit.dumps(theirs), force=force)
    assert tomllib.loads(result.text) == reference_merge(ours, theirs, force=force)
    found = [line.strip() for line in result.text.splitlines() if line.strip().startswith("# note")]
    if not force:  # --force may replace a whole table, comments and all (a backup is kept)
        assert found == comments


@settings(max_examples=100, deadline=None)
@given(ours=TABLES, theirs=TABLES)
@example(ours={"tool": {"a": {"b": 1}}, "c": {"d": 2}}, theirs={"tool": {"x-y": {"dev": [1]}}})
def test_merging_twice_changes_nothing_the_second_time(
    ours: dict[str, Any], theirs: dict[str, Any]
) -> None:
    once = merge_toml(tomlkit.dumps(ours), tomlkit.dumps(theirs))
    twice = merge_toml(once.text, tomlkit.dumps(theirs))
    assert twice.text == once.text
    assert not twice.changed


@settings(max_examples=100, deadline=None)
@given(ours=TABLES)
def test_a_template_with_nothing_new_returns_the_file_byte_for_byte(ours: dict[str, Any]) -> None:
    existing, _ = with_comments(tomlkit.dumps(ours), [0, 3])
    assert merge_toml(existing, tomlkit.dumps(ours)).text == existing


HAND_WRITTEN = """\
# Our pricing library. Please keep the tables in this order.
[project]
name = "pricer"   # the name on the internal index
version = "2.3.1"
dependencies = [
    "numpy>=1.26",  # vectorised maths
    "pandas",
]

[tool.black]   # legacy, still used by the notebooks job
line-length = 88

[tool.desk]
# custom table read by our deploy scripts
owner = "rates"
regions = ["LDN", "NYC"]

[tool.ruff]
line-length = 120  # wider screens on the desk
"""

TEMPLATE = """\
[project]
name = "other"
requires-python = ">=3.11"
dependencies = []

[tool.ruff]
line-length = 100

[tool.ruff.lint]
select = ["E", "F"]

[tool.mypy]
strict = true
"""


def test_a_hand_written_pyproject_keeps_every_comment_and_value() -> None:
    result = merge_toml(HAND_WRITTEN, TEMPLATE)
    for line in HAND_WRITTEN.splitlines():
        if "#" in line:
            assert line in result.text
    merged = tomllib.loads(result.text)
    original = tomllib.loads(HAND_WRITTEN)
    assert merged["project"]["name"] == "pricer"
    assert merged["project"]["dependencies"] == original["project"]["dependencies"]
    assert merged["tool"]["desk"] == original["tool"]["desk"]
    assert merged["tool"]["ruff"]["line-length"] == 120
    assert merged["tool"]["ruff"]["lint"] == {"select": ["E", "F"]}
    assert merged["tool"]["mypy"] == {"strict": True}
    assert merged["project"]["requires-python"] == ">=3.11"
    assert set(result.added) == {"project.requires-python", "tool.ruff.lint", "tool.mypy"}
    assert set(result.differing) == {
        "project.name",
        "project.dependencies",
        "tool.ruff.line-length",
    }


def test_force_replaces_differing_values_but_keeps_comments_and_custom_tables() -> None:
    result = merge_toml(HAND_WRITTEN, TEMPLATE, force=True)
    merged = tomllib.loads(result.text)
    assert merged["project"]["name"] == "other"
    assert merged["tool"]["desk"]["owner"] == "rates"
    assert "# custom table read by our deploy scripts" in result.text
    assert result.replaced


def test_invalid_toml_in_the_repo_is_a_usage_error_naming_the_file() -> None:
    with pytest.raises(UsageError, match=r"pyproject\.toml: is not valid TOML"):
        merge_toml("[project\n", TEMPLATE, where="pyproject.toml")
