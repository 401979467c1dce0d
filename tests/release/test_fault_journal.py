"""Fault suite, group "damaged state": a damaged journal or a stale git lock is a clear refusal
naming what is wrong and how to recover, never a crash (exit 70), and the same everywhere."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from qdev.cli.app import run
from qdev.release.journal import pending_warning

from .release_helpers import ReleaseRepo, crash, git, make_repo

JOURNAL = Path(".git") / "qdev-release.json"


def _truncated(path: Path) -> None:
    path.write_text(path.read_text()[: len(path.read_text()) // 2])


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(512))


def _empty(path: Path) -> None:
    path.write_text("")


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "x").write_text("")


def _not_an_object(path: Path) -> None:
    path.write_text("[1, 2, 3]\n")


def _missing_field(path: Path) -> None:
    path.write_text(path.read_text().replace('"steps"', '"stepz"'))


def _wrong_type(path: Path) -> None:
    path.write_text(path.read_text().replace('"done": [', '"done": 5, "x": ['))


DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (_truncated, "not valid JSON"),
    "random-bytes": (_random_bytes, "not"),
    "empty": (_empty, "empty"),
    "folder": (_folder, "a folder"),
    "not-an-object": (_not_an_object, "not a release journal"),
    "missing-field": (_missing_field, "steps"),
    "wrong-type": (_wrong_type, "done"),
}


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repo whose release was killed after its commit: a real journal to damage."""
    base = tmp_path_factory.mktemp("crashed")
    gitconfig = base / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Test Quant\n\temail = quant@example.com\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        repo = make_repo(base)
        crash(repo, "commit:kill-after")
    return repo.root


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize(
    "args",
    [["--continue"], ["--abort"], ["--skip-checks"], ["--dry-run"]],
    ids=["continue", "abort", "new-release", "dry-run"],
)
def test_a_damaged_journal_is_exit_2_with_what_and_how_to_recover(
    crashed: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    damage: str,
    args: list[str],
) -> None:
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(crashed, root, symlinks=True)
    damage_it, what = DAMAGES[damage]
    damage_it(root / JOURNAL)
    code = run(["release", "--path", str(root), *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "qdev-release.json" in err
    assert "damaged" in err
    assert what in err
    assert "fix:" in err
    assert "git tag" in err  # how to find what the stopped release left
    warning = pending_warning(root)
    assert warning is not None
    assert "damaged" in warning


LOCKS = ["index.lock", "HEAD.lock", "refs/heads/main.lock", "packed-refs.lock"]


@pytest.mark.parametrize("lock", LOCKS)
def test_a_stale_git_lock_is_a_guard_with_its_fix_everywhere(
    release_repo: ReleaseRepo, capsys: pytest.CaptureFixture[str], lock: str
) -> None:
    root = release_repo.root
    path = root / ".git" / lock
    path.write_text("")
    for args in (["--skip-checks"], ["--dry-run"]):
        assert run(["release", "--path", str(root), *args]) == 4
        err = capsys.readouterr().err
        assert lock in err
        assert f"rm {Path('.git') / lock}" in err
    path.unlink()
    crash(release_repo, "tag:kill-after")
    path.write_text("")
    for action in ("--continue", "--abort"):
        assert run(["release", "--path", str(root), action]) == 4
        err = capsys.readouterr().err
        assert lock in err
        assert "fix:" in err
    assert pending_warning(root) is not None
    path.unlink()
    assert run(["release", "--path", str(root), "--abort"]) == 0
    assert git(root, "tag", "-l", "v0.2.0") == ""
