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


LEGACY = """\
# Written by qdev: which profile rendered which file. Commit it; don't edit it.
profile = "default"
version = "1.0.0"
source = "builtin"

[files]
"README.md" = {template = "sha256:aa", written = "sha256:aa"}
"""


def test_a_state_file_written_before_sync_existed_still_loads() -> None:
    loaded = state.loads(LEGACY)
    assert (loaded.ref, loaded.commit, loaded.inputs, loaded.answers) == (None, None, None, {})
    assert loaded.files["README.md"] == FileRecord("sha256:aa", "sha256:aa")
    assert state.dumps(loaded) == LEGACY


def test_the_render_inputs_and_git_pin_round_trip() -> None:
    full = ProfileState(
        "team",
        "2.0.0",
        "git@git.example.com:team/profile.git",
        {
            "x": FileRecord(state.sha256(b"x"), None, deleted=True),
            "y": FileRecord("t", "w", conflict=True),
        },
        ref="v2.0.0",
        commit="a" * 40,
        inputs=state.RenderInputs(
            "service", "gitlab", {"name": "demo", "extends": 'git = "u"\nref = "v2"'}
        ),
        answers={"team_channel": "#fx"},
    )
    text = state.dumps(full)
    assert state.loads(text) == full
    assert "deleted = true" in text
    assert "conflict = true" in text
