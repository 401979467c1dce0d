"""The result cache: whole entries or none, safe under concurrent writers."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from qdev.check.cache import KEEP_PER_STEP, NOT_RUN_SECONDS, ResultCache
from qdev.check.model import Finding, Status, StepResult
from qdev.check.warm import untracked_inputs

RESULT = StepResult(
    "lint", Status.FAILED, "1 lint problem", 0.5, findings=(Finding("bad", "a.py", 1),)
)


def test_an_entry_comes_back_marked_cached(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    cache.put("lint", "k1", RESULT)

    hit = cache.get("lint", "k1")

    assert hit is not None
    assert hit.cached
    assert hit.findings == RESULT.findings
    assert cache.get("lint", "k2") is None


def test_the_cache_folder_ignores_itself_in_git(tmp_path: Path) -> None:
    ResultCache(tmp_path).put("lint", "k1", RESULT)

    assert (tmp_path / ".qdev" / "cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_truncated_or_foreign_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    cache.put("lint", "k1", RESULT)
    path = next(cache.folder.glob("lint@*.json"))
    path.write_text(path.read_text()[:40])

    assert cache.get("lint", "k1") is None


def test_a_step_that_did_not_run_is_kept_briefly_and_still_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ResultCache(tmp_path)
    cache.put("audit", "k1", StepResult("audit", Status.NOT_RUN, "offline"))
    cache.put("docs", "k1", StepResult("docs", Status.SKIPPED, "needs lint"))

    soon = cache.get("audit", "k1")
    later = time.time() + NOT_RUN_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)

    assert soon is not None
    assert soon.status is Status.NOT_RUN  # never turned into a pass
    assert cache.get("audit", "k1") is None
    assert cache.get("docs", "k1") is None


def test_old_entries_are_pruned(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    for n in range(KEEP_PER_STEP + 3):
        cache.put("lint", f"key{n}", RESULT)

    assert len(list(cache.folder.glob("lint@*.json"))) == KEEP_PER_STEP


def _writer(folder: str, worker: int) -> None:
    cache = ResultCache(Path(folder))
    for n in range(30):
        cache.put("test", f"key{n % 5}", StepResult("test", Status.PASSED, f"w{worker} n{n}", 0.1))


def test_concurrent_writers_leave_only_whole_entries(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(tmp_path), w)) for w in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)

    cache = ResultCache(tmp_path)
    assert all(worker.exitcode == 0 for worker in workers)
    for n in range(5):
        hit = cache.get("test", f"key{n}")
        assert hit is not None
        assert hit.status is Status.PASSED
    assert not [p for p in cache.folder.iterdir() if p.name.endswith(".tmp")]


def test_tool_output_and_the_cache_itself_are_never_inputs() -> None:
    paths = [
        "src/pkg/__pycache__/a.cpython-311.pyc", "a.pyc", ".mypy_cache/3.11/x.json", ".coverage",
        ".coverage.host.1", ".qdev/cache/check/lint@1.json", "pkg.egg-info/PKG-INFO",
        "tests/test_new.py", "data/prices.csv", ".qdev/state.toml", "docs/coverage.md",
    ]  # fmt: skip

    assert untracked_inputs(paths) == [
        "tests/test_new.py", "data/prices.csv", ".qdev/state.toml", "docs/coverage.md",
    ]  # fmt: skip


def test_an_entry_that_cannot_be_written_is_remembered_not_raised(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    cache.put("lint", "k1", RESULT)
    entry = next(cache.folder.glob("lint@*.json"))
    entry.unlink()
    (entry / "in-the-way").mkdir(parents=True)

    cache.put("lint", "k1", RESULT)
    cache.put("test", "k1", RESULT)

    assert cache.problem is not None
    assert str(entry) in cache.problem
    assert cache.get("lint", "k1") is None  # a folder is a miss, never an answer
    assert not list(cache.folder.glob("test@*.json"))  # after one failure it is left alone


def test_the_cache_folder_being_a_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / ".qdev").write_text("not a folder\n")
    cache = ResultCache(tmp_path)

    cache.put("lint", "k1", RESULT)

    assert cache.problem is not None
    assert cache.get("lint", "k1") is None
