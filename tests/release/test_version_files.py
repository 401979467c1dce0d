"""Version files: pyproject.toml keeps every byte but the version; other files get their line."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdev.errors import UsageError
from qdev.release.version_files import (
    set_module_version,
    set_pyproject_version,
    set_version_in_text,
)

PYPROJECT = """\
# top comment
[project]
name = "pkg"   # the name
version = '1.2.3'    # the version
dependencies = [
    "numpy>=2",  # pinned low
]

[tool.other]
version = "9.9.9"
"""


def test_pyproject_changes_only_the_project_version() -> None:
    updated = set_pyproject_version(PYPROJECT, "1.3.0")
    before, after = PYPROJECT.splitlines(), updated.splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("version = '1.2.3'    # the version", "version = '1.3.0'    # the version")]


@settings(suppress_health_check=[HealthCheck.too_slow])  # timing: benchmarks' job
@given(st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(rc[0-9])?", fullmatch=True))
def test_pyproject_version_round_trips(version: str) -> None:
    updated = set_pyproject_version(PYPROJECT, version)
    assert f"version = '{version}'" in updated
    assert set_pyproject_version(updated, "1.2.3") == PYPROJECT


def test_version_line_in_a_python_file() -> None:
    text = '"""Pkg."""\n\n__version__ = "1.2.3"\nOTHER = "1.2.3"\n'
    assert set_version_in_text(text, "1.2.3", "2.0.0", path="x.py") == (
        '"""Pkg."""\n\n__version__ = "2.0.0"\nOTHER = "1.2.3"\n'
    )


def test_a_file_without_the_version_is_an_error_naming_it() -> None:
    with pytest.raises(UsageError, match=r"src/pkg/__init__.py: no line sets the version to 1.2.3"):
        set_version_in_text('__version__ = "0.9"\n', "1.2.3", "2.0.0", path="src/pkg/__init__.py")


POETRY = '[tool.poetry]\nname = "rates"\nversion = "1.4.0"  # kept\n\n[project]\nname = "x"\n'


def test_a_poetry_version_is_set_in_tool_poetry_only() -> None:
    assert set_pyproject_version(POETRY, "1.5.0", ("tool", "poetry")) == POETRY.replace(
        '"1.4.0"', '"1.5.0"'
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('__version__ = "0.9.0"\n', '__version__ = "2.0.0"\n'),  # stale: bumped all the same
        ("__version__: str = '1.0'\nx = '1.0'\n", "__version__: str = '2.0.0'\nx = '1.0'\n"),
        ('VERSION = "v1.0.0"\n', 'VERSION = "v2.0.0"\n'),
    ],
)
def test_a_modules_literal_version_is_set_whatever_it_held(text: str, expected: str) -> None:
    assert set_module_version(text, "2.0.0", path="pkg/__init__.py") == expected


def test_a_module_without_a_literal_version_is_an_error_naming_it() -> None:
    with pytest.raises(UsageError, match=r"pkg/__init__.py: no line such as __version__"):
        set_module_version("from ._v import v as __version__\n", "2.0.0", path="pkg/__init__.py")
