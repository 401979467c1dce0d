"""A file that appears whole at its path or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qdev.research import partial
from qdev.research.datasets import sha256_of


@pytest.fixture(params=["unnamed", "named"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "named":
        monkeypatch.setenv(partial.NO_TMPFILE_VAR, "1")
    return str(request.param)


def test_committed_content_replaces_the_target_and_nothing_else_is_left(
    tmp_path: Path, mode: str
) -> None:
    target = tmp_path / "data" / "sub" / "prices.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"old")
    with partial.partial_file(target) as file:
        assert (file.named is None) == (mode == "unnamed")
        with open(file.write_path, "wb") as out:  # as fsspec backends write: by path
            out.write(b"new content\n" * 1000)
        assert target.read_bytes() == b"old"  # nothing visible before the commit
        size, digest = file.sha256()
        file.commit(target)
    assert size == 12_000
    assert digest == sha256_of(target)
    assert os.listdir(target.parent) == ["prices.csv"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)


def _write_half_then_fail(target: Path) -> None:
    with partial.partial_file(target) as file:
        with open(file.write_path, "wb") as out:
            out.write(b"half")
        raise RuntimeError("network went away")


def test_an_error_before_the_commit_leaves_no_file(tmp_path: Path, mode: str) -> None:
    target = tmp_path / "data" / "prices.csv"
    with pytest.raises(RuntimeError, match="network went away"):
        _write_half_then_fail(target)
    assert os.listdir(target.parent) == []


def test_sweep_removes_what_a_killed_run_left_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "keep.csv").write_text("mine")
    (tmp_path / ".keep.hidden").write_text("mine too")
    left = tmp_path / f".prices.csv.abc123{partial.SUFFIX}"
    left.write_text("half")
    assert partial.sweep(tmp_path) == [left]
    assert sorted(os.listdir(tmp_path)) == [".keep.hidden", "keep.csv"]
    assert partial.sweep(tmp_path / "absent") == []
