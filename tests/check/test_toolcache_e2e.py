"""mypy's and ruff's own caches outlive qdev's result cache, and never change a result."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from .check_helpers import qdev

pytestmark = pytest.mark.e2e

VERBOSE_MYPY = {"QDEV_CHECK__TYPECHECK__ARGS": '["--verbose"]'}


def _steps(repo: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    ran = qdev(repo, "check", "lint", "typecheck", "--format", "json", *args, env=env)
    return ran.steps()


def _verdict(step: dict[str, Any]) -> tuple[str, list[Any]]:
    return step["status"], step["findings"]


def _rewrite_keeping_time(path: Path, old: str, new: str) -> None:
    assert len(old) == len(new)  # the same size too, as mypy also compares sizes
    stat = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_check_without_result_cache_reuses_mypy_s_cache(repo: Path) -> None:
    first = _steps(repo, env=VERBOSE_MYPY)
    shutil.rmtree(repo / ".qdev" / "cache" / "check")

    again = _steps(repo, env=VERBOSE_MYPY)

    assert not again["typecheck"]["cached"]  # qdev ran mypy again...
    assert "Metadata fresh for quantlib.core" not in first["typecheck"]["output"]
    assert "Metadata fresh for quantlib.core" in again["typecheck"]["output"]  # ...from its cache
    assert _verdict(again["typecheck"]) == _verdict(first["typecheck"])


def test_an_edit_that_keeps_the_file_time_gives_the_answer_of_a_fresh_run(repo: Path) -> None:
    module = repo / "src" / "quantlib" / "prices.py"
    module.write_text(
        "import os\n\n\ndef last(values: list[float]) -> float:\n    return values[-1]\n",
        encoding="utf-8",
    )
    before = _steps(repo)
    assert before["typecheck"]["status"] == "passed"
    assert before["lint"]["status"] == "failed"  # the unused os

    # a new content with the old size and time: the tools' own caches would call it unchanged
    _rewrite_keeping_time(
        module,
        "import os\n\n\ndef last(values: list[float]) -> float:",
        "import io\n\n\ndef last(values: list[float]) -> bytes:",
    )
    cached_tools = _steps(repo)
    fresh = _steps(repo, "--no-cache")

    assert _verdict(cached_tools["typecheck"]) == _verdict(fresh["typecheck"])
    assert _verdict(cached_tools["lint"]) == _verdict(fresh["lint"])
    assert cached_tools["typecheck"]["status"] == "failed"
    assert "`io` imported but unused" in str(cached_tools["lint"]["findings"])


def test_no_cache_leaves_the_tools_caches_as_they_were(repo: Path) -> None:
    _steps(repo)
    tools = repo / ".qdev" / "cache" / "tools"
    before = {path: path.stat().st_mtime_ns for path in tools.rglob("*") if path.is_file()}

    _steps(repo, "--no-cache")

    after = {path: path.stat().st_mtime_ns for path in tools.rglob("*") if path.is_file()}
    assert after == before
