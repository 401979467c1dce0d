"""`qdev fleet status` answered before typer is imported, when every selected repo is in the
memo as it stands (fleet/memo.py): the common case of asking again.

Only plain calls take this path: the fleet file, selection by name, group, tag or shard,
`--json`, `--html PATH`. Anything else, or any problem at all, returns None and the normal CLI
runs, printing the very same report.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

VALUED = {
    "--fleet": "fleet",
    "-F": "fleet",
    "--repo": "repos",
    "-r": "repos",
    "--group": "groups",
    "-g": "groups",
    "--tag": "tags",
    "-t": "tags",
    "--shard": "shard",
    "--html": "html",
    "--jobs": "jobs",
    "-j": "jobs",
}
FLAGS = {"--json": "json", "--offline": "offline"}


def parse(args: Sequence[str]) -> dict[str, list[str]] | None:
    """The options as {name: values}, or None for anything this parser does not take."""
    found: dict[str, list[str]] = {}
    words = list(args)
    while words:
        word = words.pop(0)
        name, eq, value = word.partition("=")
        if word in FLAGS:
            found.setdefault(FLAGS[word], []).append("")
        elif name in VALUED and (eq or words):
            found.setdefault(VALUED[name], []).append(value if eq else words.pop(0))
        else:
            return None
    if len(found.get("fleet", [])) > 1 or len(found.get("html", [])) > 1:
        return None
    return found


def answer_from_memo(args: Sequence[str]) -> int | None:
    """The exit code after printing the report from the memo, or None for the normal path."""
    options = parse(args)
    if options is None:
        return None
    try:
        from qdev.fleet import manifest
        from qdev.fleet.report import build, show_status
        from qdev.fleet.select import Selection, by_labels, parse_shard
        from qdev.fleet.status import from_memo

        fleet = manifest.load(Path(options["fleet"][0]) if "fleet" in options else None)
        selection = Selection(
            tuple(options.get("repos", ())),
            tuple(options.get("groups", ())),
            tuple(options.get("tags", ())),
            shard=parse_shard(options["shard"][0]) if "shard" in options else None,
        )
        statuses = from_memo(fleet, by_labels(fleet, selection))
        if statuses is None:
            return None
        document = build(fleet.file, statuses)
        html = Path(options["html"][0]) if "html" in options else None
    except Exception:  # never fail here: the normal path runs and reports any problem
        return None
    return show_status(document, as_json="json" in options, html=html)
