"""Fetching datasets through fsspec: in parallel, with progress, verified, never half-written.

Storage is reached through fsspec and each backend's own credential chain (s3fs: the AWS
environment variables, ~/.aws, instance roles; gcsfs: gcloud's application default
credentials); qdev passes only the non-secret options of `research.storage`. fsspec is imported
only when something has to be fetched, so a repo whose data is all present needs neither the
`qdev[data]` extra nor the network.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from qdev.errors import QdevError, ToolMissing, UsageError
from qdev.redact import mask_credentials
from qdev.research.datasets import Declared
from qdev.research.partial import partial_file

if TYPE_CHECKING:
    from qdev.config.models import StorageValue

INSTALL = "uv tool install 'qdev[data]'   (or: python3 -m pip install 'qdev[data]')"
DEFAULT_JOBS = 8


class Progress(Protocol):
    """What a fetch reports while it runs; called from worker threads."""

    def update(self, name: str, done: int, total: int | None) -> None: ...
    def finished(self, item: Fetched) -> None: ...


class Outcome(StrEnum):
    FETCHED = "fetched"
    PRESENT = "present"
    WOULD_FETCH = "would fetch"
    KEPT = "changed locally"
    """There with other content, and left alone (without --force)."""
    FAILED = "failed"


PROBLEMS = (Outcome.KEPT, Outcome.FAILED)


@dataclass(frozen=True)
class Fetched:
    name: str
    outcome: Outcome
    detail: str = ""
    size: int | None = None
    seconds: float = 0.0
    sha256: str | None = None


class HashMismatch(QdevError):
    def __init__(self, expected: str, got: str) -> None:
        super().__init__(
            f"content hash mismatch: declared sha256 {expected}, downloaded {got}; "
            "the download was removed",
            fix="if the source changed on purpose, record it again with qdev data add",
        )


class Cancelled(Exception):
    """The pull was interrupted: workers stop at their next chunk."""


Opener = Callable[[str], tuple[Any, str]]


def filesystem_opener(storage: Mapping[str, Mapping[str, StorageValue]]) -> Opener:
    """A function giving (fsspec filesystem, path) for a source, with research.storage options."""
    try:
        import fsspec.core
    except ImportError:
        raise ToolMissing(
            "fetching data needs fsspec, from qdev's data extra", fix=INSTALL
        ) from None

    def open_source(source: str) -> tuple[Any, str]:
        protocol = source.split("://", 1)[0] if "://" in source else "file"
        try:
            fs, path = fsspec.core.url_to_fs(source, **dict(storage.get(protocol, {})))
        except ImportError as exc:
            raise ToolMissing(
                f"fetching {protocol}:// data needs another package: {exc}",
                fix=f"{INSTALL}, plus the package named (uv tool install 'qdev[data]' --with it)",
            ) from None
        except ValueError as exc:
            raise UsageError(
                f"fsspec cannot open {mask_credentials(source)}: {exc}",
                fix="use an s3://, gs://, https:// URL or a local path in [research.data]",
            ) from None
        return fs, str(path)

    return open_source


def download(
    dataset: Declared,
    opener: Opener,
    expected: str | None,
    report: Callable[[int, int | None], None],
) -> tuple[int, str]:
    """Fetch `dataset` to its target, all or nothing; return (size, sha256) of what came."""
    from fsspec.callbacks import Callback

    fs, path = opener(dataset.source)
    callback = Callback(hooks={"qdev": lambda size, value, **_: report(value, size)})
    with partial_file(dataset.target) as partial:
        fs.get_file(path, partial.write_path, callback=callback)
        size, digest = partial.sha256()
        report(size, size)
        if expected is not None and digest != expected:
            raise HashMismatch(expected, digest)
        partial.commit(dataset.target)
    return size, digest


def describe(exc: BaseException, dataset: Declared) -> str:
    """One line saying why a fetch failed, with any credentials in it masked."""
    name = type(exc).__name__
    if isinstance(exc, FileNotFoundError):
        text = f"not found: {dataset.url}"
    elif name in ("NoCredentialsError", "DefaultCredentialsError", "PartialCredentialsError"):
        text = (
            f"no credentials for {dataset.url}: set them as the storage's own tools do "
            "(AWS_PROFILE or ~/.aws/credentials; gcloud auth application-default login)"
        )
    elif isinstance(exc, PermissionError):
        text = f"access denied to {dataset.url}: {exc}"
    else:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        text = f"{name}: {first}" if first else name
    return mask_credentials(text)[:300]


def fetch_one(
    dataset: Declared, opener: Opener, progress: Progress, cancel: threading.Event
) -> Fetched:
    started = time.monotonic()

    def report(done: int, total: int | None) -> None:
        if cancel.is_set():
            raise Cancelled
        progress.update(dataset.name, done, total)

    try:
        size, digest = download(dataset, opener, dataset.sha256, report)
    except (Cancelled, ToolMissing, UsageError):
        raise
    except HashMismatch as exc:
        return Fetched(dataset.name, Outcome.FAILED, exc.message, seconds=_since(started))
    except Exception as exc:  # a backend's own error (network, auth, missing object): reported
        return Fetched(dataset.name, Outcome.FAILED, describe(exc, dataset))
    return Fetched(dataset.name, Outcome.FETCHED, "", size, _since(started), digest)


def _since(started: float) -> float:
    return time.monotonic() - started


def fetch_all(
    datasets: list[Declared], opener: Opener, progress: Progress, jobs: int
) -> list[Fetched]:
    """Fetch the datasets, `jobs` at once, and return as each finishes.

    The workers are daemon threads: on Ctrl-C they are told to stop at their next chunk, and
    one stalled on a silent network does not hold the exit (its unnamed file dies with us).
    """
    cancel = threading.Event()
    pending: queue.SimpleQueue[Declared] = queue.SimpleQueue()
    for dataset in datasets:
        pending.put(dataset)
    results: queue.SimpleQueue[Fetched | BaseException] = queue.SimpleQueue()

    def work() -> None:
        while not cancel.is_set():
            try:
                dataset = pending.get_nowait()
            except queue.Empty:
                return
            try:
                results.put(fetch_one(dataset, opener, progress, cancel))
            except BaseException as exc:  # handed to the main thread, which raises it
                results.put(exc)

    for index in range(max(1, min(jobs, len(datasets)))):
        threading.Thread(target=work, name=f"qdev-fetch-{index}", daemon=True).start()
    done: list[Fetched] = []
    try:
        while len(done) < len(datasets):
            try:
                # A short timeout keeps the main thread responsive to Ctrl-C.
                item = results.get(timeout=0.2)
            except queue.Empty:
                continue
            if isinstance(item, BaseException):
                raise item
            done.append(item)
            progress.finished(item)
    except BaseException:
        cancel.set()
        raise
    return done


class NoProgress:
    def update(self, name: str, done: int, total: int | None) -> None:
        pass

    def finished(self, item: Fetched) -> None:
        pass


def target_folders(datasets: list[Declared]) -> list[Path]:
    return sorted({dataset.target.parent for dataset in datasets})
