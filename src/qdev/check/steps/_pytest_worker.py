"""A pytest plugin qdev loads into each test worker: collect only this worker's test files.

qdev copies this file into a private folder, puts that folder on PYTHONPATH and runs
`pytest -p _qdev_worker --qdev-worker=K/N --qdev-plan=PLAN`. pytest walks the folders as
usual; a file another worker owns is ignored before it is imported, so each module is
imported (and its collection paid for) by one worker only. The plan names the owner of the
files qdev knows; any other file goes to a worker chosen by a hash of its path, the same in
every worker, so every file is collected exactly once. Runs in the repo's own Python and
imports nothing from qdev.
"""

from __future__ import annotations

import json
import os
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

NEVER_IGNORED = ("conftest.py", "__init__.py")  # they shape collection for every worker

_HOME = os.path.dirname(os.path.abspath(__file__))


def _leave_no_trace() -> None:
    """Take this folder back off the path, so neither the tests nor what they start see it."""
    if os.environ.get("PYTHONPATH") == _HOME:
        del os.environ["PYTHONPATH"]
    sys.path[:] = [entry for entry in sys.path if not entry or os.path.abspath(entry) != _HOME]


_leave_no_trace()


class Share:
    """This worker's part of the test files."""

    def __init__(self, worker: int, workers: int, owners: dict[str, int]) -> None:
        self.worker = worker
        self.workers = workers
        self.owners = owners

    @classmethod
    def parse(cls, spec: str, plan: str) -> Share:
        number, _, count = spec.partition("/")
        owners = json.loads(Path(plan).read_text(encoding="utf-8"))
        return cls(int(number), int(count), {str(k): int(v) for k, v in owners.items()})

    def owner(self, path: str) -> int:
        known = self.owners.get(path)
        if known is not None:
            return known
        return zlib.crc32(path.encode("utf-8", "surrogateescape")) % self.workers

    def ignores(self, path: Path) -> bool:
        if path.name in NEVER_IGNORED or path.is_dir():
            return False
        return self.owner(str(path)) != self.worker


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("qdev", "qdev test workers")
    group.addoption("--qdev-worker", default=None, help="this worker and the count, K/N")
    group.addoption("--qdev-plan", default=None, help="JSON: the worker of each known file")


def pytest_configure(config: pytest.Config) -> None:
    spec, plan = config.getoption("qdev_worker"), config.getoption("qdev_plan")
    if spec and plan:
        config._qdev_share = Share.parse(str(spec), str(plan))  # type: ignore[attr-defined]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    share: Any = getattr(config, "_qdev_share", None)
    if share is not None and share.ignores(collection_path):
        return True
    return None  # not ours to decide: pytest's own rules (--ignore, norecursedirs) apply
