"""`qdev sync --check` answered before typer is imported, when nothing changed since last time.

The hook and CI ask it on every commit and push; the answer is in the memo (profile/drift.py)
unless a file changed. Anything this parser does not know, or any problem at all, returns None
and the normal CLI runs and reports it, printing the very same text.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

FLAGS = {"--check", "--json", "--conflicts-only"}


def answer_from_memo(args: Sequence[str]) -> int | None:
    """The exit code after printing a remembered drift report, or None for the normal path."""
    flags = {arg for arg in args if arg in FLAGS}
    rest = [arg for arg in args if arg not in FLAGS]
    if "--check" not in flags or len(rest) > 1 or any(arg.startswith("-") for arg in rest):
        return None
    try:
        from qdev.profile.drift import cached_drift, check_drift

        start = Path(rest[0] if rest else ".")
        conflicts_only = "--conflicts-only" in flags
        report = check_drift(start, conflicts_only=True) if conflicts_only else cached_drift(start)
    except Exception:  # never fail here: the normal path runs and reports any problem
        return None
    if report is None:
        return None
    sys.stdout.write(report.text(conflicts_only=conflicts_only, as_json="--json" in flags))
    sys.stdout.flush()
    return report.exit_code
