"""What `qdev data` prints: tables for people, JSON for scripts, progress while fetching."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from qdev.output import SETTINGS, console
from qdev.redact import mask_credentials
from qdev.research.fetch import NoProgress, Outcome, Progress
from qdev.research.progress import LiveProgress, PlainProgress, human, line

if TYPE_CHECKING:
    from qdev.research.data import Added, PullReport
    from qdev.research.datasets import Status


@contextmanager
def progress_for(*, as_json: bool) -> Iterator[Progress]:
    """Bars on a terminal, a line per dataset in logs, nothing with -q or JSON output."""
    if SETTINGS.quiet or as_json:
        yield NoProgress()
    elif sys.stderr.isatty():
        with LiveProgress() as live:
            yield live
    else:
        yield PlainProgress()


def _echo(text: str) -> None:
    console().print(text, markup=False, highlight=False)


def status_json(item: Status) -> dict[str, Any]:
    dataset = item.dataset
    return {
        "name": dataset.name,
        "state": item.state.value,
        "path": dataset.relpath,
        "url": mask_credentials(dataset.url),
        "sha256": dataset.sha256,
        "actual_sha256": item.sha256,
        "size": item.size,
    }


def print_status(found: list[Status], *, as_json: bool) -> None:
    if as_json:
        _echo(json.dumps({"datasets": [status_json(item) for item in found]}, indent=2))
        return
    if not found:
        _echo("no datasets are declared in [research.data] (qdev data add URL declares one)")
        return
    rows = [
        (item.dataset.name, item.state.value, human(item.size), item.dataset.relpath,
         mask_credentials(item.dataset.url))
        for item in found
    ]  # fmt: skip
    widths = [max(len(row[col]) for row in rows) for col in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        _echo("  ".join([*cells, row[4]]).rstrip())
    missing = sum(item.state.value != "present" for item in found)
    if missing:
        _echo(f"\n{missing} of {len(found)} not present: qdev data pull fetches what is missing")


def print_pull(report: PullReport, *, as_json: bool) -> None:
    if as_json:
        items = [
            {"name": i.name, "outcome": i.outcome.value, "detail": i.detail, "size": i.size,
             "seconds": round(i.seconds, 3), "sha256": i.sha256}
            for i in report.items
        ]  # fmt: skip
        swept = [str(path) for path in report.swept]
        _echo(json.dumps({"ok": report.ok, "datasets": items, "swept": swept}, indent=2))
        return
    for path in report.swept:
        _echo(f"removed {path}, left by an interrupted pull")
    for item in report.items:
        if item.outcome is not Outcome.PRESENT:
            _echo(line(item))
    counts = [f"{report.count(o)} {o.value}" for o in Outcome if report.count(o)]
    verdict = "done" if report.ok else "FAILED"
    _echo(f"qdev data pull {verdict}: {', '.join(counts) or 'no datasets declared'}")


def print_added(added: Added, *, as_json: bool) -> None:
    if as_json:
        _echo(
            json.dumps(
                {"name": added.name, "url": mask_credentials(added.url), "sha256": added.sha256,
                 "size": added.size, "path": added.relpath, "config": str(added.config_file)},
                indent=2,
            )
        )  # fmt: skip
        return
    _echo(
        f"added {added.name}: {added.relpath} ({human(added.size)}, sha256 {added.sha256}) "
        f"to [research.data] in {added.config_file.name}"
    )
