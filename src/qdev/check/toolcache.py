"""The tools' own caches (mypy's incremental cache, ruff's): kept where a run without qdev's
result cache still finds them, and emptied wherever they could give another answer than a
fresh run.

mypy and ruff take a file as unchanged when its modification time is (mypy: in whole seconds,
with its size), so an edit that keeps the time (two edits within a second, a tool that
restores times) would be answered from their cache with the old content's result. qdev
already hashes every file a step reads for its own key, so beside each tool cache it keeps
the content hash and the time of each file as the tool was last given it: when a file's
content changed while its time (to the second) did not, or when the environment changed
(mypy caches what it read from installed packages by their times too), the cache is emptied
before the tool runs. A run that finds another run using a cache uses a private one;
`--no-cache` runs the tools with private, empty caches.

Layout: `<repo>/.qdev/cache/tools/<environment>/<step>/` (given to the tool) beside
`<step>.json` (what it was given) and `<step>.lock`, one set per environment (`.venv`, each
nox session's).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qdev.check.cache import ResultCache
from qdev.fileio import write_atomic

if TYPE_CHECKING:
    from qdev.check.steps._base import StepContext

FOLDER = Path(".qdev") / "cache" / "tools"
FORMAT = 1


@contextmanager
def tool_cache(ctx: StepContext, step: str, files: Sequence[str]) -> Iterator[Path]:
    """The folder `step`'s tool may keep its cache in while the block runs."""
    if not ctx.tool_caches:
        yield _private(ctx, step)
        return
    from filelock import FileLock, Timeout

    home = ctx.root / FOLDER / environment_id(ctx.venv)
    try:
        ResultCache(ctx.root).prepare()  # the cache folder, ignored by git
        home.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(home / f"{step}.lock"))
        lock.acquire(timeout=0)
    except (OSError, Timeout):  # another run uses it, or it cannot be written
        yield _private(ctx, step)
        return
    try:
        folder, record = home / step, home / f"{step}.json"
        seen = snapshot(ctx, files)
        before = _read(record)
        if not trusted(before, seen) and folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
            before = None
        # no record while the tool runs: if the run is cut short, the cache is emptied next time
        record.unlink(missing_ok=True)
        yield folder
        _write(record, merged(before, seen))
    finally:
        lock.release()


def is_cold(ctx: StepContext, step: str) -> bool:
    """Whether `step`'s tool starts without a cache: none kept, or none left by a run that
    finished (the record is written only then)."""
    if not ctx.tool_caches:
        return True
    return not (ctx.root / FOLDER / environment_id(ctx.venv) / f"{step}.json").exists()


def environment_id(venv: Path) -> str:
    return hashlib.blake2b(str(venv.resolve()).encode(), digest_size=6).hexdigest()


def _private(ctx: StepContext, step: str) -> Path:
    folder = (ctx.scratch or ctx.root / FOLDER / "private") / "tool-cache" / step
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def snapshot(ctx: StepContext, files: Sequence[str]) -> dict[str, Any]:
    """What the tool is given: each file's content hash and modification time (whole
    seconds, the coarsest a tool compares), and the environment it runs in."""
    seen: dict[str, list[Any]] = {}
    for path in files:
        try:
            mtime = int(os.stat(ctx.root / path).st_mtime)
        except OSError:
            continue
        seen[path] = [ctx.hashes(path), mtime]
    return {"format": FORMAT, "environment": ctx.environment.fingerprint(), "files": seen}


def trusted(before: dict[str, Any] | None, now: dict[str, Any]) -> bool:
    """Whether a tool cache made from `before` gives the same answers as a fresh run on
    `now`: the same environment, and no file whose content changed but not its time."""
    if before is None:
        return False
    if before.get("format") != FORMAT or before.get("environment") != now["environment"]:
        return False
    known: dict[str, Any] = before.get("files", {})
    for path, (digest, mtime) in now["files"].items():
        old = known.get(path)
        if old is not None and old[1] == mtime and old[0] != digest:
            return False
    return True


def merged(before: dict[str, Any] | None, now: dict[str, Any]) -> dict[str, Any]:
    """`now`, plus files seen before and gone now: recreated with their old time, the tool's
    cache would still know them."""
    files = {**(before or {}).get("files", {}), **now["files"]}
    return {**now, "files": files}


def _read(record: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write(record: Path, data: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # no record: the cache is emptied next time
        write_atomic(record, json.dumps(data, sort_keys=True))
