"""A failed step's summary names the real cause, never the first line of a tool's banner."""

from __future__ import annotations

from pathlib import Path

import pytest

from .check_helpers import qdev

pytestmark = pytest.mark.e2e


def _write(repo: Path, path: str, text: str) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def _step(repo: Path, step: str) -> dict[str, object]:
    ran = qdev(repo, "check", step, "--format", "json")
    assert ran.code == 1, ran.stdout + ran.stderr
    return ran.steps()[step]


def test_a_test_module_that_cannot_be_imported_is_named_with_its_error(repo: Path) -> None:
    _write(
        repo, "tests/test_broken.py", "import nope\n\n\ndef test_x() -> None:\n    assert nope\n"
    )

    result = _step(repo, "test")

    assert result["summary"] == (
        "tests/test_broken.py could not be imported: ModuleNotFoundError: No module named 'nope'"
    )
    assert result["findings"][0]["path"] == "tests/test_broken.py"  # type: ignore[index]
    assert result["findings"][0]["line"] == 1  # type: ignore[index]


def test_a_file_ruff_cannot_parse_is_named_though_ruff_prints_it_last(repo: Path) -> None:
    _write(repo, "docs/a.py", "X = [1,2,  3]\n")  # its diff comes first in ruff's output
    _write(repo, "docs/conf.py", "def broken(:\n    pass\n")

    result = _step(repo, "format")

    assert str(result["summary"]).startswith("docs/conf.py:1:12 cannot be parsed: Expected")
    found = {(f["path"], f["line"]) for f in result["findings"]}  # type: ignore[attr-defined]
    assert found == {("docs/conf.py", 1), ("docs/a.py", 1)}


def test_a_lock_that_uv_cannot_make_is_not_called_stale(repo: Path) -> None:
    text = (repo / "pyproject.toml").read_text(encoding="utf-8")
    text = text.replace("dependencies = []", 'dependencies = ["prices"]')
    text += '\n[tool.uv.sources]\nprices = { path = "../no-such-folder" }\n'
    (repo / "pyproject.toml").write_text(text, encoding="utf-8")

    result = _step(repo, "lock")

    assert "stale" not in str(result["summary"])
    assert str(result["summary"]).startswith("uv lock --check failed: ")
    assert "no-such-folder" in str(result["summary"])


def test_coverage_names_a_file_with_a_space_in_its_name_whole(repo: Path) -> None:
    _write(repo, "src/quantlib/odd name.py", "def double(x: int) -> int:\n    return x * 2\n")
    with (repo / "qdev.toml").open("a") as handle:
        handle.write("\n[check]\ncoverage = 99\n")

    result = _step(repo, "test")

    assert "under the required 99" in str(result["summary"])
    assert ("src/quantlib/odd name.py", 1) in [
        (f["path"], f["line"])
        for f in result["findings"]  # type: ignore[attr-defined]
    ]
