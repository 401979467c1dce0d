"""Fixtures for `qdev fleet`: the acceptance fleet of 50 repos
(tests/fleet/world.py), built once per session under a file lock and copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .world import build_world, copy_world


@pytest.fixture(scope="session")
def world(build_once: Callable[[str, Callable[[Path], None]], Path]) -> Callable[[], Path]:
    """`world()`: the acceptance fleet, built once per session. Never change it: use `fleet`."""
    return lambda: build_once("fleet-world", build_world)


@pytest.fixture
def fleet(
    world: Callable[[], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A private copy of the acceptance fleet; the current folder is its top (fleet.toml).
    Removed after the test: thousands of files each, in a temporary folder other runs share."""
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    copy = copy_world(world(), tmp_path / "world")
    monkeypatch.chdir(copy)
    yield copy
    monkeypatch.chdir(tmp_path)
    shutil.rmtree(copy, ignore_errors=True)
