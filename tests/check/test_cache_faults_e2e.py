"""The cache only saves time: when it cannot be written (a read-only folder, a full disk, a
folder where an entry belongs) the run still reports its real results and exit code, with one
warning, on this run and every later one.

The read-only folder and the full disk are real: a tmpfs mounted over the cache folder in a
private mount namespace (`unshare`), read-only or filled to the last byte.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from qdev.check.cache import FOLDER
from qdev.tools import process

from .check_helpers import QDEV, Ran, qdev

pytestmark = pytest.mark.e2e

PLANTED = "\n\ndef unused() -> None:\n    import os\n"
FILL = 'dd if=/dev/zero of="$2/fill" bs=1k count=64 2>/dev/null; '
MOUNT = 'mount -t tmpfs -o "$1" tmpfs "$2" && {fill}shift 2 && exec "$@"'


def _can_mount(folder: Path) -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = [unshare, "-rm", "sh", "-c", f"mount -t tmpfs tmpfs {folder}"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def _qdev_over_tmpfs(repo: Path, options: str, *args: str, fill: bool = False) -> Ran:
    """Run qdev with a tmpfs (mount `options`) over the repo's cache folder."""
    cache = repo / FOLDER
    cache.mkdir(parents=True, exist_ok=True)
    if not _can_mount(cache):
        pytest.skip("no private mount namespace here (unshare -rm)")
    script = MOUNT.format(fill=FILL if fill else "")
    argv = ["unshare", "-rm", "sh", "-c", script, "sh", options, str(cache), *QDEV, *args]
    result = process.run(argv, cwd=repo, timeout=300)
    return Ran(result.returncode, result.stdout, result.stderr)


def _plant_lint_problem(repo: Path) -> None:
    with (repo / "src/quantlib/core.py").open("a", encoding="utf-8") as handle:
        handle.write(PLANTED)


def _assert_real_results_and_one_warning(ran: Ran, cause: str) -> None:
    assert ran.code == 1, ran.stdout + ran.stderr  # lint failed: the real exit code
    steps = ran.steps()
    assert steps["lint"]["status"] == "failed"
    assert steps["lint"]["findings"][0]["code"] == "F401"
    assert steps["format"]["status"] == "passed"
    assert not any(step["cached"] for step in steps.values())
    warnings = [line for line in ran.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1, ran.stderr
    assert cause in warnings[0]
    assert ran.json()["warnings"] == [warnings[0].removeprefix("qdev: warning: ")]
    assert "internal error" not in ran.stderr


@pytest.mark.parametrize(
    ("options", "fill", "cause"),
    [("ro", False, "is not writable"), ("size=16k", True, "no space left")],
    ids=["read-only-folder", "full-disk"],
)
def test_a_cache_that_cannot_be_written_never_costs_the_answer(
    repo: Path, options: str, fill: bool, cause: str
) -> None:
    _plant_lint_problem(repo)

    ran = _qdev_over_tmpfs(repo, options, "check", "format", "lint", "-f", "json", fill=fill)

    _assert_real_results_and_one_warning(ran, cause)


def test_a_folder_where_an_entry_belongs_is_survived_on_every_run(repo: Path) -> None:
    _plant_lint_problem(repo)
    assert qdev(repo, "check", "format", "lint").code == 1
    for entry in (repo / FOLDER).glob("*.json"):
        entry.unlink()
        (entry / "in-the-way").mkdir(parents=True)

    runs = [qdev(repo, "check", "format", "lint", "-f", "json") for _ in range(2)]

    for ran in runs:
        _assert_real_results_and_one_warning(ran, "is in the way of a cache entry")


def test_a_passing_run_keeps_exit_0_when_the_cache_is_read_only(repo: Path) -> None:
    ran = _qdev_over_tmpfs(repo, "ro", "check", "format", "lint")

    assert ran.code == 0, ran.stdout + ran.stderr
    assert "qdev check passed: 2 passed" in ran.stdout
    assert ran.stderr.count("results were not cached") == 1
