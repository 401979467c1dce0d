"""The fast path's small argument parser: what it accepts it reads exactly; anything else is
left to the full CLI."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qdev.check.fastpath import parse
from qdev.check.reporters import FORMATS

steps = st.lists(st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True), max_size=4)


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[list[str], dict[str, object]]:
    names = draw(steps)
    fmt = draw(st.sampled_from(FORMATS))
    jobs = draw(st.none() | st.integers(1, 64))
    fail_fast = draw(st.booleans())
    options: list[list[str]] = []
    spelling = draw(st.sampled_from(["--format", "-f", "--format="]))
    options.append([f"--format={fmt}"] if spelling.endswith("=") else [spelling, fmt])
    if jobs is not None:
        options.append(["--jobs", str(jobs)] if draw(st.booleans()) else [f"-j={jobs}"])
    if fail_fast:
        options.append(["--fail-fast"])
    groups: list[list[str]] = [[name] for name in names]
    for option in options:  # options anywhere, steps in their order
        groups.insert(draw(st.integers(0, len(groups))), option)
    argv = [token for group in groups for token in group]
    expected: dict[str, object] = {
        "steps": names,
        "fmt": fmt,
        "jobs": None if jobs is None else str(jobs),
        "fail_fast": fail_fast,
    }
    return argv, expected


@given(command_lines())
def test_what_it_accepts_it_reads_exactly(case: tuple[list[str], dict[str, object]]) -> None:
    argv, expected = case
    assert parse(argv) == expected


@given(
    steps,
    st.sampled_from(
        ["--fix", "--no-cache", "--changed", "--matrix", "--list", "-v", "--help", "-o"]
    ),
)
def test_anything_else_goes_to_the_full_cli(names: list[str], flag: str) -> None:
    assert parse([*names, flag]) is None


def test_bad_values_go_to_the_full_cli() -> None:
    assert parse(["--format", "xml"]) is None
    assert parse(["--jobs", "many"]) is None
    assert parse(["--format"]) is None
