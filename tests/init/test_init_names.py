"""Project names: a valid distribution name whose package name Python can import."""

from __future__ import annotations

import keyword
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qdev.errors import UsageError
from qdev.project import names

NAME_CHARS = st.text(alphabet="abcXYZ019-_. ", min_size=0, max_size=12)


def outcome(name: str) -> tuple[str, str] | UsageError:
    try:
        return names.validate(name)
    except UsageError as exc:
        return exc


@given(NAME_CHARS)
def test_a_name_is_either_accepted_with_an_importable_package_or_refused_clearly(
    name: str,
) -> None:
    result = outcome(name)
    if isinstance(result, UsageError):
        assert result.exit_code == 2
        assert result.fix is not None
        assert result.fix.startswith("pass")
        return
    dist, package = result
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", dist)
    assert package.isidentifier()
    assert not keyword.iskeyword(package)
    assert package not in sys.stdlib_module_names
    assert package == dist.replace("-", "_")


@given(NAME_CHARS)
def test_the_name_suggested_in_the_fix_is_valid_itself(name: str) -> None:
    suggestion = names.suggest(name)
    assert not isinstance(outcome(suggestion), UsageError)


@pytest.mark.parametrize(
    ("name", "dist", "package"),
    [
        ("Demo", "demo", "demo"),
        ("rates.Pricer", "rates-pricer", "rates_pricer"),
        ("a__b", "a-b", "a_b"),
    ],
)
def test_names_are_normalized(name: str, dist: str, package: str) -> None:
    assert names.validate(name) == (dist, package)
