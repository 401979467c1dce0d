"""The three-way TOML/YAML merge: its laws (hypothesis), and the cases sync meets."""

from __future__ import annotations

import io
import tomllib
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from qdev.profile.merge3 import (
    MISSING,
    Format,
    Labels,
    TomlFormat,
    YamlFormat,
    canonical,
    has_markers,
    merge,
    render_path,
)

KEYS = st.sampled_from(["a", "b", "c", "tool", "x-y", "dev"])
SCALARS = st.one_of(
    st.integers(-3, 3),
    st.booleans(),
    st.text(alphabet="abc xyz", max_size=4),
    st.lists(st.integers(0, 4), max_size=4),
)
TABLES = st.recursive(
    st.dictionaries(KEYS, SCALARS, max_size=4),
    lambda inner: st.dictionaries(KEYS, st.one_of(SCALARS, inner), max_size=4),
    max_leaves=14,
)
LABELS = Labels("this repo", "profile 1", "profile 2")
LAWS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def toml_text(data: dict[str, Any]) -> str:
    return tomlkit.dumps(data)


def yaml_text(data: dict[str, Any]) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def parse(fmt: Format, text: str) -> Any:
    return fmt.plain(fmt.parse(text))


FORMATS = [(TomlFormat(), toml_text), (YamlFormat(), yaml_text)]
IDS = ["toml", "yaml"]


def expected(base: Any, ours: Any, theirs: Any) -> Any:
    """The merge's specification on plain values: ours kept where both sides differ.

    Values are equal as TOML and YAML see them: `false` is not `0`.
    """
    if canonical(ours) == canonical(theirs):
        return ours
    if canonical(base) == canonical(ours):
        return theirs
    if canonical(base) == canonical(theirs):
        return ours
    if isinstance(ours, dict) and isinstance(theirs, dict):
        base = base if isinstance(base, dict) else {}
        merged = {}
        for key in [*ours, *(k for k in theirs if k not in ours)]:
            value = expected(
                base.get(key, MISSING), ours.get(key, MISSING), theirs.get(key, MISSING)
            )
            if value is not MISSING:
                merged[key] = value
        return merged
    plain_lists = all(
        isinstance(v, list)
        and all(not isinstance(i, dict | list) for i in v)
        and len({canonical(i) for i in v}) == len(v)
        for v in (base if isinstance(base, list) else [], ours, theirs)
    )
    if plain_lists:
        base_list = base if isinstance(base, list) else []

        def has(items: list[Any], value: Any) -> bool:
            return canonical(value) in {canonical(i) for i in items}

        kept = [v for v in ours if not (has(base_list, v) and not has(theirs, v))]
        added = [v for v in theirs if not has(base_list, v) and not has(kept, v)]
        return sorted(kept + added, key=repr)
    return ours


def normalised(value: Any) -> Any:
    """Plain lists of scalars compare as sets (the merge keeps ours' order, adds theirs')."""
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    if isinstance(value, list) and all(not isinstance(i, dict | list) for i in value):
        return sorted(value, key=repr)
    return value


@pytest.mark.parametrize(("fmt", "text"), FORMATS, ids=IDS)
@LAWS
@given(base=TABLES, x=TABLES)
def test_merging_with_an_unchanged_side_gives_the_other_side(
    fmt: Format, text: Any, base: dict[str, Any], x: dict[str, Any]
) -> None:
    b, t = text(base), text(x)
    assert merge(fmt, b, b, t, LABELS).text == t
    assert merge(fmt, b, t, b, LABELS).text == t
    assert merge(fmt, b, t, t, LABELS).text == t


@pytest.mark.parametrize(("fmt", "text"), FORMATS, ids=IDS)
@LAWS
@given(base=TABLES, ours=TABLES, theirs=TABLES)
def test_the_result_always_parses_and_follows_the_specification(
    fmt: Format, text: Any, base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> None:
    result = merge(fmt, text(base), text(ours), text(theirs), LABELS)
    merged = parse(fmt, result.text)
    want = expected(parse(fmt, text(base)), parse(fmt, text(ours)), parse(fmt, text(theirs)))
    assert normalised(merged) == normalised(want)
    assert has_markers(result.marked) == (result.marked != result.text)
    if not result.conflicts:
        assert result.marked == result.text


@pytest.mark.parametrize(("fmt", "text"), FORMATS, ids=IDS)
@LAWS
@given(ours=TABLES, theirs=TABLES)
def test_without_a_base_nothing_of_ours_is_lost(
    fmt: Format, text: Any, ours: dict[str, Any], theirs: dict[str, Any]
) -> None:
    result = merge(fmt, None, text(ours), text(theirs), LABELS)
    merged = parse(fmt, result.text)

    def kept(ours_value: Any, merged_value: Any) -> bool:
        if isinstance(ours_value, dict):
            return isinstance(merged_value, dict) and all(
                k in merged_value and kept(v, merged_value[k]) for k, v in ours_value.items()
            )
        if isinstance(ours_value, list) and isinstance(merged_value, list):
            return all(v in merged_value for v in ours_value)
        return bool(ours_value == merged_value)

    assert kept(parse(fmt, text(ours)), merged)


BASE_TOML = """\
# The project
[project]
name = "demo"
dependencies = []

[tool.ruff]
line-length = 100  # the team's width
"""


def test_toml_keeps_comments_and_takes_a_change_of_the_profile_beside_one_of_the_repo() -> None:
    ours = BASE_TOML.replace("dependencies = []", 'dependencies = ["numpy"]  # ours')
    theirs = BASE_TOML.replace("line-length = 100", "line-length = 110")
    result = merge(TomlFormat(), BASE_TOML, ours, theirs, LABELS)
    assert result.clean
    assert result.text == ours.replace("line-length = 100", "line-length = 110")


def test_a_key_changed_on_both_sides_is_a_conflict_named_by_its_path_with_markers() -> None:
    ours = BASE_TOML.replace("line-length = 100", "line-length = 120")
    theirs = BASE_TOML.replace("line-length = 100", "line-length = 110")
    result = merge(TomlFormat(), BASE_TOML, ours, theirs, LABELS)
    assert [c.key for c in result.conflicts] == ["tool.ruff.line-length"]
    assert tomllib.loads(result.text)["tool"]["ruff"]["line-length"] == 120
    assert result.marked.endswith(
        "[tool.ruff]\n<<<<<<< this repo\nline-length = 120  # the team's width\n"
        "||||||| profile 1\nline-length = 100  # the team's width\n=======\n"
        "line-length = 110  # the team's width\n>>>>>>> profile 2\n"
    )


def test_a_key_deleted_by_the_repo_and_changed_by_the_profile_is_a_conflict() -> None:
    ours = BASE_TOML.replace("dependencies = []\n", "")
    theirs = BASE_TOML.replace("dependencies = []", 'dependencies = ["x"]')
    result = merge(TomlFormat(), BASE_TOML, ours, theirs, LABELS)
    assert [(c.key, c.ours, c.theirs) for c in result.conflicts] == [
        ("project.dependencies", MISSING, ["x"])
    ]
    assert "<<<<<<< this repo\n||||||| profile 1\ndependencies = []\n" in result.marked


def test_a_key_deleted_by_the_repo_stays_deleted_when_the_profile_did_not_change_it() -> None:
    ours = BASE_TOML.replace("dependencies = []\n", "")
    theirs = BASE_TOML.replace("line-length = 100", "line-length = 110")
    result = merge(TomlFormat(), BASE_TOML, ours, theirs, LABELS)
    assert "dependencies" not in tomllib.loads(result.text)["project"]
    assert result.clean


def test_inline_table_conflicts_wrap_the_whole_inline_table() -> None:
    base = 'extends = {git = "u", ref = "v1"}\n'
    result = merge(TomlFormat(), base, base.replace("v1", "mine"), base.replace("v1", "v2"), LABELS)
    assert [c.key for c in result.conflicts] == ["extends.ref"]
    assert '<<<<<<< this repo\nextends = {git = "u", ref = "mine"}\n' in result.marked


HOOKS = """\
repos:
  - repo: local
    hooks:
      - id: format
        entry: qdev check format  # formats
      - id: lint
        entry: qdev check lint
"""


def test_yaml_lists_of_tables_merge_item_by_item_by_their_identity() -> None:
    ours = HOOKS + "      - id: mine\n        entry: ./mine\n"
    theirs = HOOKS.replace("qdev check lint", "qdev check lint --fix")
    result = merge(YamlFormat.for_text(ours), HOOKS, ours, theirs, LABELS)
    assert result.clean
    assert result.text == ours.replace("qdev check lint", "qdev check lint --fix")


def test_yaml_conflict_markers_keep_the_item_indentation() -> None:
    ours = HOOKS.replace("qdev check lint", "qdev check lint -v")
    theirs = HOOKS.replace("qdev check lint", "qdev check lint --fix")
    result = merge(YamlFormat.for_text(ours), HOOKS, ours, theirs, LABELS)
    assert [c.key for c in result.conflicts] == ["repos[repo=local].hooks[id=lint].entry"]
    assert result.marked.endswith(
        "      - id: lint\n<<<<<<< this repo\n        entry: qdev check lint -v\n"
        "||||||| profile 1\n        entry: qdev check lint\n=======\n"
        "        entry: qdev check lint --fix\n>>>>>>> profile 2\n"
    )


def test_yaml_plain_lists_merge_as_sets_and_lists_with_repeats_are_one_value() -> None:
    base = "on:\n  push:\n    branches: [main]\nargs: [-a, -a]\n"
    ours = base.replace("[main]", "[main, develop]").replace("[-a, -a]", "[-a, -b]")
    theirs = base.replace("[main]", "[main, release]").replace("[-a, -a]", "[-c]")
    result = merge(YamlFormat.for_text(ours), base, ours, theirs, LABELS)
    assert "branches: [main, release, develop]" in result.text  # after its neighbour
    assert [c.key for c in result.conflicts] == ["args"]


def test_key_paths_quote_keys_that_are_not_bare() -> None:
    assert render_path(("tool", "a.b", "c d")) == 'tool."a.b"."c d"'
    assert render_path(()) == "(the whole file)"


def test_markers_are_found_only_as_an_opening_and_a_closing_line() -> None:
    assert has_markers("<<<<<<< ours\na\n=======\nb\n>>>>>>> theirs\n")
    assert not has_markers("Title\n=======\n")
    assert not has_markers(">>>>>>> x\n<<<<<<< y\n")


def test_yaml_indentation_is_read_from_the_file() -> None:
    fmt = YamlFormat.for_text("a:\n    b: 1\nc:\n- x\n")
    assert fmt.indents == (4, 2, 0)


def test_a_change_of_the_profile_alone_keeps_the_repos_order_and_comments_around_it() -> None:
    base = "[tool.a]\nx = 1\n\n[tool.b]\ny = 2\n"
    ours = "[tool.b]\n# ours\ny = 2\n\n[tool.a]\nx = 1\n"  # the same values, our order
    theirs = base.replace("x = 1", "x = 3")
    result = merge(TomlFormat(), base, ours, theirs, LABELS)
    assert result.text == ours.replace("x = 1", "x = 3")
    hooks = HOOKS.replace("    hooks:\n", "    hooks:\n      # ours\n")
    theirs_yaml = HOOKS.replace("qdev check lint", "qdev check lint --fix")
    result = merge(YamlFormat.for_text(hooks), HOOKS, hooks, theirs_yaml, LABELS)
    assert result.text == hooks.replace("qdev check lint", "qdev check lint --fix")
