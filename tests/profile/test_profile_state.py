"""The repo's profile state file: deterministic text, read back as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from qdev.errors import ConfigError
from qdev.profile import state
from qdev.profile.state import FileRecord, ProfileState


def _state() -> ProfileState:
    return ProfileState(
        "default",
        "1.0.0",
        "builtin",
        {
            "b.txt": FileRecord(state.sha256(b"b")),
            "a/x.py": FileRecord(state.sha256(b"x"), state.sha256(b"x2")),
        },
    )


def test_state_round_trips_and_lists_files_sorted() -> None:
    text = state.dumps(_state())
    assert state.loads(text) == _state()
    assert text.index('"a/x.py"') < text.index('"b.txt"')
    assert state.dumps(state.loads(text)) == text


def test_a_kept_user_file_records_no_written_hash() -> None:
    loaded = state.loads(state.dumps(_state()))
    assert loaded.files["b.txt"].written is None


def test_read_returns_none_without_a_state_file(tmp_path: Path) -> None:
    assert state.read(tmp_path) is None


def test_a_broken_state_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / ".qdev").mkdir()
    (tmp_path / ".qdev" / "state.toml").write_text('profile = "x"\n')
    with pytest.raises(ConfigError, match=r"state\.toml: not a qdev state file"):
        state.read(tmp_path)
