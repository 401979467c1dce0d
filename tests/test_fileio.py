"""fileio.write_atomic: whole files or nothing, with sensible permissions."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from qdev.fileio import write_atomic


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_written_whole_with_its_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.txt"
    write_atomic(target, "héllo\n")
    assert target.read_bytes() == "héllo\n".encode()
    assert mode(target) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


def test_bytes_are_written_as_they_are(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    write_atomic(target, b"\x00\xff")
    assert target.read_bytes() == b"\x00\xff"


def test_replacing_a_file_keeps_its_permissions_unless_told(tmp_path: Path) -> None:
    target = tmp_path / "hook"
    target.write_text("old")
    target.chmod(0o755)
    write_atomic(target, "new")
    assert (target.read_text(), mode(target)) == ("new", 0o755)
    write_atomic(target, "newer", mode=0o600)
    assert (target.read_text(), mode(target)) == ("newer", 0o600)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside").write_text("kept")
    with pytest.raises(IsADirectoryError):  # a folder cannot be replaced by a file
        write_atomic(target, "data")
    assert (target / "inside").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
