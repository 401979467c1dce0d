"""Input globs: `**` spans folders, `*` and `?` stay inside one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qdev.check._globs import matches, select

segment = st.text(alphabet="abcxyz_-.", min_size=1, max_size=6).filter(
    lambda s: s not in {".", ".."}
)
paths = st.lists(segment, min_size=1, max_size=5).map("/".join)


@given(paths)
def test_double_star_matches_every_path(path: str) -> None:
    assert matches(path, "**/*") or matches(path, "**")


@given(paths)
def test_a_path_matches_itself(path: str) -> None:
    assert matches(path, path)


@given(st.lists(segment, min_size=2, max_size=5))
def test_single_star_never_crosses_a_folder(parts: list[str]) -> None:
    path = "/".join(parts)
    assert not matches(path, "*")
    assert matches(path, "/".join("*" for _ in parts))


@given(
    st.lists(paths, max_size=10),
    st.lists(st.sampled_from(["**/*.py", "src/**", "*.md", "?"]), max_size=3),
)
def test_select_keeps_order_and_only_matches(candidates: list[str], patterns: list[str]) -> None:
    chosen = select(candidates, patterns)
    assert chosen == [p for p in candidates if any(matches(p, pat) for pat in patterns)]


def test_examples() -> None:
    assert matches("src/pkg/a.py", "**/*.py")
    assert matches("a.py", "**/*.py")
    assert matches("data/x/y.csv", "data/**")
    assert not matches("src/a.py", "*.py")
    assert matches("./README.md", "README.md") is False  # paths from git never start with ./
    assert matches("README.md", "./README.md")
