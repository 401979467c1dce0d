"""`qdev data pull|status|add` as plain functions: what the CLI calls, and what tests reach.

A pull holds a lock in `.qdev/cache/data/`, so two pulls in one repo never write the same file;
it first sweeps what a killed pull may have left (named partial files, where the platform has
no unnamed ones), then fetches what is missing. Present files are verified by hash (through
the hash cache) and never downloaded again: with everything present a pull needs no network.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qdev.errors import ConfigError, GuardRefused, QdevError, ToolFailed, UsageError
from qdev.fileio import write_atomic
from qdev.redact import mask_credentials
from qdev.research import partial
from qdev.research.datasets import (
    HASH_CACHE,
    Declared,
    HashCache,
    State,
    declared,
    file_name,
    resolve,
    status_of,
)
from qdev.research.fetch import (
    DEFAULT_JOBS,
    PROBLEMS,
    Fetched,
    HashMismatch,
    NoProgress,
    Outcome,
    Progress,
    describe,
    download,
    fetch_all,
    filesystem_opener,
    target_folders,
)

if TYPE_CHECKING:
    from qdev.config.loader import LoadedConfig

LOCK_TIMEOUT = 0.5
CACHE_IGNORE = Path(".qdev") / "cache" / ".gitignore"
NOT_A_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class PullReport:
    items: list[Fetched] = field(default_factory=list)
    swept: list[Path] = field(default_factory=list)
    """Partial files of killed pulls, removed before this one started."""

    @property
    def ok(self) -> bool:
        return not any(item.outcome in PROBLEMS for item in self.items)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def count(self, outcome: Outcome) -> int:
        return sum(item.outcome is outcome for item in self.items)


@contextmanager
def pull_lock(root: Path) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock_file = root / HASH_CACHE.parent / "pull.lock"
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    ignore = root / CACHE_IGNORE
    if not ignore.exists():  # qdev's caches are never committed, whatever .gitignore says
        write_atomic(ignore, "# qdev's caches: never committed\n*\n")
    try:
        with FileLock(str(lock_file), timeout=LOCK_TIMEOUT):
            yield
    except Timeout:
        raise GuardRefused(
            f"another qdev data pull is running in {root}", fix="wait for it to finish"
        ) from None


def pull(
    loaded: LoadedConfig,
    names: Sequence[str] = (),
    *,
    jobs: int = DEFAULT_JOBS,
    force: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> PullReport:
    """Fetch the missing datasets (and, with `force`, replace changed ones)."""
    root, config = loaded.root, loaded.config
    datasets = declared(root, config, names)
    progress = progress or NoProgress()
    report = PullReport()
    with pull_lock(root):
        for folder in target_folders(datasets):
            report.swept += partial.sweep(folder)
        hashes = HashCache(root)
        todo = _to_fetch(datasets, hashes, report, progress, force=force)
        if dry_run:
            report.items += [Fetched(d.name, Outcome.WOULD_FETCH) for d in todo]
        elif todo:
            opener = filesystem_opener(config.research.storage)
            fetched = fetch_all(todo, opener, progress, jobs)
            paths = {dataset.name: dataset.relpath for dataset in todo}
            for item in fetched:
                if item.sha256 is not None:
                    hashes.remember(paths[item.name], item.sha256)
            report.items += fetched
        hashes.save()
    order = {dataset.name: index for index, dataset in enumerate(datasets)}
    report.items.sort(key=lambda item: order[item.name])
    return report


def _to_fetch(
    datasets: list[Declared],
    hashes: HashCache,
    report: PullReport,
    progress: Progress,
    *,
    force: bool,
) -> list[Declared]:
    """The datasets to fetch; the others go into the report as they are."""
    todo = []
    for found in (status_of(dataset, hashes) for dataset in datasets):
        settled = _settled(found.dataset, found.state, found.size, force=force)
        if settled is None:
            todo.append(found.dataset)
        else:
            report.items.append(settled)
            progress.finished(settled)
    return todo


def _settled(dataset: Declared, state: State, size: int | None, *, force: bool) -> Fetched | None:
    """What a dataset needs no fetch for, or None when it must be fetched."""
    if state is State.PRESENT:
        return Fetched(dataset.name, Outcome.PRESENT, "", size)
    if state is State.CHANGED and not force:
        return Fetched(
            dataset.name,
            Outcome.KEPT,
            f"{dataset.relpath} has other content than declared: kept "
            f"(qdev data pull --force {dataset.name} replaces it with the declared one)",
            size,
        )
    return None


@dataclass(frozen=True)
class Added:
    name: str
    url: str
    sha256: str
    size: int
    relpath: str
    config_file: Path


def add(
    loaded: LoadedConfig,
    url: str,
    *,
    name: str | None = None,
    path: str | None = None,
    progress: Progress | None = None,
) -> Added:
    """Fetch `url` into the data folder, hash it, and declare it in the repo's config.

    A file already at the target is kept: the download must match it, else nothing changes.
    """
    from qdev.config.models import Dataset

    root, config = loaded.root, loaded.config
    name = name or _name_from(url)
    if name in config.research.data:
        raise UsageError(
            f"a dataset named {name} is already declared",
            fix="choose another --name, or edit [research.data] to change it",
        )
    dataset = resolve(root, config, name, Dataset(url=url, sha256="0" * 64, path=path))
    hashes = HashCache(root)
    existing = hashes.hash(dataset.relpath)
    tracker = progress or NoProgress()
    opener = filesystem_opener(config.research.storage)
    try:
        size, digest = download(
            dataset,
            opener,
            existing[1] if existing else None,
            lambda done, total: tracker.update(name, done, total),
        )
    except HashMismatch:
        raise GuardRefused(
            f"{dataset.relpath} exists with other content than {url}: left alone",
            fix="move it away, or pass --path to put the new dataset elsewhere",
        ) from None
    except QdevError:
        raise
    except Exception as exc:  # the backend's own error (network, auth, missing object)
        raise ToolFailed(
            f"could not fetch {mask_credentials(url)}: {describe(exc, dataset)}",
            fix="check the URL and your access to it (the storage's own credentials)",
        ) from None
    config_file = loaded.config_file or root / "qdev.toml"
    record(root, config_file, name, {"url": url, "sha256": digest, "path": path})
    hashes.remember(dataset.relpath, digest)
    hashes.save()
    return Added(name, url, digest, size, dataset.relpath, config_file)


def _name_from(url: str) -> str:
    stem = file_name(url).split(".", 1)[0]
    name = NOT_A_NAME.sub("-", stem).strip("-._")
    if not name:
        raise UsageError(f"cannot tell a dataset name from {url}", fix="pass --name NAME")
    return name


def record(root: Path, config_file: Path, name: str, entry: dict[str, str | None]) -> None:
    """Write [research.data.NAME] into the repo's config, keeping everything else as it is;
    put the file back as it was when the result does not validate."""
    import tomlkit

    from qdev.config.loader import load_config

    before = config_file.read_text(encoding="utf-8") if config_file.exists() else None
    doc = tomlkit.parse(before or "")
    base = doc
    if config_file.name == "pyproject.toml":
        base = doc.setdefault("tool", tomlkit.table(is_super_table=True)).setdefault(
            "qdev", tomlkit.table()
        )
    research = base.setdefault("research", tomlkit.table(is_super_table=True))
    data = research.setdefault("data", tomlkit.table(is_super_table=True))
    table = tomlkit.table()
    for key, value in entry.items():
        if value is not None:
            table[key] = value
    data[name] = table
    write_atomic(config_file, tomlkit.dumps(doc))
    try:
        load_config(root)
    except ConfigError:
        if before is None:
            config_file.unlink(missing_ok=True)
        else:
            write_atomic(config_file, before)
        raise
