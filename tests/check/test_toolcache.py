"""The tools' own caches: where they live, and when qdev empties one rather than trust it."""

from __future__ import annotations

import os
from pathlib import Path

from filelock import FileLock

from qdev.check import toolcache
from qdev.check.steps import StepContext
from qdev.config.models import QdevConfig
from qdev.tools.process import ChildGroup


def _ctx(root: Path, *, tool_caches: bool = True) -> StepContext:
    scratch = root.parent / "scratch"
    scratch.mkdir(exist_ok=True)
    return StepContext(
        root,
        root / ".venv",
        QdevConfig(),
        ["a.py"],
        ChildGroup(),
        scratch=scratch,
        tool_caches=tool_caches,
    )


def _write(path: Path, text: str, mtime: int | None = None) -> None:
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def _use(ctx: StepContext) -> Path:
    """Run a stand-in tool that leaves a mark in its cache; return the folder it was given."""
    with toolcache.tool_cache(ctx, "lint", ["a.py"]) as folder:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "mark").write_text("cached")
    return folder


def test_the_cache_lives_in_the_repo_per_environment_and_is_kept(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    _write(root / "a.py", "x = 1\n", mtime=1_700_000_000)

    first = _use(_ctx(root))
    second = _use(_ctx(root))  # a new run: the same content, the same time

    assert first == second
    assert first.is_relative_to(root / ".qdev" / "cache" / "tools")
    assert (first / "mark").exists()


def test_an_edit_that_keeps_the_file_time_empties_the_cache(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    _write(root / "a.py", "x = 1\n", mtime=1_700_000_000)
    folder = _use(_ctx(root))
    _write(root / "a.py", "x = 2\n", mtime=1_700_000_000)

    with toolcache.tool_cache(_ctx(root), "lint", ["a.py"]) as again:
        emptied = not (again / "mark").exists()

    assert again == folder
    assert emptied


def test_an_edit_with_a_new_time_keeps_the_cache(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    _write(root / "a.py", "x = 1\n", mtime=1_700_000_000)
    _use(_ctx(root))
    _write(root / "a.py", "x = 2\n", mtime=1_700_000_005)

    with toolcache.tool_cache(_ctx(root), "lint", ["a.py"]) as again:
        kept = (again / "mark").exists()

    assert kept


def test_a_changed_environment_or_a_missing_record_empties_the_cache() -> None:
    now = {"format": 1, "environment": "e2", "files": {"a.py": ["h", 5]}}

    assert not toolcache.trusted(None, now)
    assert not toolcache.trusted({**now, "environment": "e1"}, now)
    assert toolcache.trusted(now, now)
    assert toolcache.trusted({**now, "files": {}}, now)  # a file new to the tool


def test_a_file_seen_once_stays_in_the_record_after_it_is_deleted() -> None:
    before = {"format": 1, "environment": "e", "files": {"gone.py": ["h1", 5], "a.py": ["h", 1]}}
    now = {"format": 1, "environment": "e", "files": {"a.py": ["h", 1]}}

    kept = toolcache.merged(before, now)

    assert kept["files"] == {"gone.py": ["h1", 5], "a.py": ["h", 1]}
    # recreated with another content but its old time: not trusted
    again = {"format": 1, "environment": "e", "files": {"gone.py": ["h2", 5]}}
    assert not toolcache.trusted(kept, again)


def test_a_cache_in_use_by_another_run_or_no_cache_means_a_private_one(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    _write(root / "a.py", "x = 1\n")
    shared = _use(_ctx(root))

    with FileLock(str(shared.parent / "lint.lock")):
        busy = _use(_ctx(root))
    fresh = _use(_ctx(root, tool_caches=False))

    for private in (busy, fresh):
        assert private != shared
        assert private.is_relative_to(tmp_path / "scratch")


def test_a_tool_is_cold_until_a_run_has_left_it_a_cache(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    _write(root / "a.py", "x = 1\n", mtime=1_700_000_000)

    before = toolcache.is_cold(_ctx(root), "lint")
    _use(_ctx(root))

    assert before
    assert not toolcache.is_cold(_ctx(root), "lint")
    assert toolcache.is_cold(_ctx(root, tool_caches=False), "lint")  # --no-cache: private ones
    assert toolcache.is_cold(_ctx(root), "typecheck")
