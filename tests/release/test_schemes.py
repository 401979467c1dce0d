"""Version schemes: bumping always parses, always goes up, and round-trips through packaging."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from qdev.errors import UsageError
from qdev.release.schemes import (
    BUMPS,
    PRE_LABELS,
    bump_calver,
    explicit_version,
    next_version,
    render,
)

numbers = st.integers(min_value=0, max_value=500)
pre_parts = st.none() | st.tuples(st.sampled_from(PRE_LABELS), st.integers(1, 20))
pres = st.none() | st.sampled_from(PRE_LABELS)


@st.composite
def semver_versions(draw: st.DrawFn) -> str:
    return render((draw(numbers), draw(numbers), draw(numbers)), pre=draw(pre_parts))


@st.composite
def pep440_versions(draw: st.DrawFn) -> str:
    release = tuple(draw(st.lists(numbers, min_size=1, max_size=4)))
    post = draw(st.none() | st.integers(1, 9))
    dev = draw(st.none() | st.integers(0, 9))
    return render(
        release, epoch=draw(st.sampled_from([0, 0, 1])), pre=draw(pre_parts), post=post, dev=dev
    )


def assert_sound(current: str, new: str, scheme: str) -> None:
    parsed = Version(new)  # always parses
    assert parsed > Version(current)  # always greater
    assert Version(str(parsed)) == parsed  # round-trips through its normal form
    assert Version(explicit_version(new, scheme)) == parsed  # and through the CLI's parser


# The only refusals: going back to an earlier pre-release label (rc -> a), a post release
# of a development release.
ALLOWED_REFUSALS = ("comes before", "development release")


def bump_or_refuse(scheme: str, current: str, bump: str, pre: str | None) -> str | None:
    try:
        return next_version(scheme, current, bump, pre=pre)
    except UsageError as exc:
        refusal = exc.message
    assert any(reason in refusal for reason in ALLOWED_REFUSALS), refusal
    return None


@settings(suppress_health_check=[HealthCheck.too_slow])  # timing: benchmarks' job
@given(semver_versions(), st.sampled_from(BUMPS), pres)
def test_semver_bump_parses_goes_up_and_round_trips(
    current: str, bump: str, pre: str | None
) -> None:
    new = bump_or_refuse("semver", current, bump, pre)
    if new is not None:
        assert_sound(current, new, "semver")
        assert len(Version(new).release) == 3


@settings(suppress_health_check=[HealthCheck.too_slow])  # timing: benchmarks' job
@given(pep440_versions(), st.sampled_from((*BUMPS, "post", "dev")), pres)
def test_pep440_bump_parses_goes_up_and_round_trips(
    current: str, bump: str, pre: str | None
) -> None:
    new = bump_or_refuse("pep440", current, bump, pre)
    if new is not None:
        assert_sound(current, new, "pep440")


calver_formats = st.sampled_from(["YYYY.0M.MICRO", "YYYY.MM.DD", "YY.0M.0D", "YYYY.0W", "YYYY.MM"])
days = st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 12, 31))


@settings(suppress_health_check=[HealthCheck.too_slow])  # timing: benchmarks' job
@given(calver_formats, days, st.integers(0, 30), st.integers(0, 3), pres)
def test_calver_bump_parses_goes_up_and_round_trips(
    fmt: str, today: date, days_back: int, releases_before: int, pre: str | None
) -> None:
    current = bump_calver("0.1.0", fmt, None, today=date.fromordinal(today.toordinal() - days_back))
    for _ in range(releases_before):
        current = bump_calver(current, fmt, None, today=today)
    new = bump_calver(current, fmt, pre, today=today)
    assert_sound(current, new, "calver")


@pytest.mark.parametrize(
    ("current", "bump", "pre", "expected"),
    [
        ("1.2.3", "patch", None, "1.2.4"),
        ("1.2.3", "minor", None, "1.3.0"),
        ("1.2.3", "major", None, "2.0.0"),
        ("1.2.3", "minor", "rc", "1.3.0rc1"),
        ("1.3.0rc1", "minor", "rc", "1.3.0rc2"),
        ("1.3.0rc2", "minor", None, "1.3.0"),
        ("1.3.0a1", "minor", "b", "1.3.0b1"),
        ("1.2.4rc1", "minor", None, "1.3.0"),
    ],
)
def test_semver_examples(current: str, bump: str, pre: str | None, expected: str) -> None:
    assert next_version("semver", current, bump, pre=pre) == expected


@pytest.mark.parametrize(
    ("current", "bump", "expected"),
    [
        ("1.2.3", "post", "1.2.3.post1"),
        ("1.2.3.post1", "post", "1.2.3.post2"),
        ("1.2.3", "dev", "1.2.4.dev1"),
        ("1.2.4.dev1", "dev", "1.2.4.dev2"),
        ("1.2.4.dev2", "patch", "1.2.4"),
        ("1!1.0", "major", "1!2.0.0"),
    ],
)
def test_pep440_examples(current: str, bump: str, expected: str) -> None:
    assert next_version("pep440", current, bump) == expected


def test_calver_weeks_use_the_iso_year_across_new_year() -> None:
    # Found by hypothesis: 2083-01-03 is in ISO week 53 of 2082, so "2083.53" came out, dated
    # after the next week's "2083.01", and the release after it refused as "dated after today".
    last_week = bump_calver("0.1.0", "YYYY.0W", None, today=date(2083, 1, 3))
    this_week = bump_calver(last_week, "YYYY.0W", None, today=date(2083, 1, 4))

    assert last_week == "2082.53"
    assert this_week == "2083.01"
    assert Version(this_week) > Version(last_week)


def test_calver_second_release_on_the_same_day_gets_the_next_number() -> None:
    day = date(2026, 3, 5)
    assert bump_calver("2026.02.4", "YYYY.0M.MICRO", None, today=day) == "2026.03.0"
    assert bump_calver("2026.03.0", "YYYY.0M.MICRO", None, today=day) == "2026.03.1"
    assert bump_calver("2026.3.4", "YYYY.MM.DD", None, today=day) == "2026.3.5"
    assert bump_calver("2026.3.5", "YYYY.MM.DD", None, today=day) == "2026.3.5.1"
    assert bump_calver("2026.3.5.1", "YYYY.MM.DD", None, today=day) == "2026.3.5.2"
    assert bump_calver("2026.03.0", "YYYY.0M.MICRO", "rc", today=day) == "2026.03.1rc1"
    assert bump_calver("2026.03.1rc1", "YYYY.0M.MICRO", None, today=day) == "2026.03.1"


def test_semver_refuses_a_version_that_is_not_semver() -> None:
    with pytest.raises(UsageError, match="not a semantic version"):
        next_version("semver", "1.2", "patch")
    with pytest.raises(UsageError, match="pep440"):
        next_version("semver", "1.2.3", "post")


def test_calver_refuses_an_unknown_format_part() -> None:
    with pytest.raises(UsageError, match="unknown parts: YYYYY"):
        bump_calver("1.0", "YYYYY.MM", None, today=date(2026, 1, 1))


def test_calver_refuses_a_version_dated_in_the_future() -> None:
    with pytest.raises(UsageError, match="dated after today"):
        bump_calver("2027.01.0", "YYYY.0M.MICRO", None, today=date(2026, 1, 1))
