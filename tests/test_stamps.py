"""stamps: a folder's stamp holds while nothing under it changes, and moves with any change."""

from __future__ import annotations

from pathlib import Path

from qdev import stamps


def test_a_tree_stamp_holds_until_a_file_under_it_is_added_changed_or_removed(
    tmp_path: Path,
) -> None:
    (tmp_path / "templates" / "common").mkdir(parents=True)
    (tmp_path / "templates" / "common" / "a.tmpl").write_text("one")
    (tmp_path / "profile.toml").write_text("name = 'team'")
    first = stamps.tree_stamp(tmp_path)
    assert stamps.tree_stamp(tmp_path) == first
    seen = {first}
    (tmp_path / "templates" / "common" / "b.tmpl").write_text("new")
    seen.add(stamps.tree_stamp(tmp_path))
    (tmp_path / "templates" / "common" / "a.tmpl").write_text("one, edited")
    seen.add(stamps.tree_stamp(tmp_path))
    (tmp_path / "profile.toml").unlink()
    seen.add(stamps.tree_stamp(tmp_path))
    assert len(seen) == 4


def test_a_missing_path_has_a_stamp_of_its_own(tmp_path: Path) -> None:
    missing = stamps.tree_stamp(tmp_path / "gone")
    assert missing == stamps.file_stamp(tmp_path / "gone")
    (tmp_path / "gone").write_text("")
    assert stamps.tree_stamp(tmp_path / "gone") != missing


def test_memo_files_are_named_by_their_key(tmp_path: Path) -> None:
    one, other = stamps.memo_file(tmp_path, "/repo/a"), stamps.memo_file(tmp_path, "/repo/b")
    assert one.parent == other.parent == tmp_path
    assert one != other
    assert one == stamps.memo_file(tmp_path, "/repo/a")
    assert one.suffix == ".json"
