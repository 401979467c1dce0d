"""`qdev init --migrate`: a Poetry or Pipenv project converted so that uv can run it.

The conversion is migrate-to-uv's (a maintained converter from PyPI, run through uv), never
qdev's own: it writes the [project] table (and dependency groups) from the Poetry or Pipenv
metadata, keeping the build backend and the old tool's data. qdev runs it inside init's
journal, so a failure anywhere puts every file back, and checks its result: a version that came
from tags must not become a static one.
"""

from __future__ import annotations

from pathlib import Path

from qdev.errors import QdevError, UsageError
from qdev.profile.apply import Journal
from qdev.project.facts import RepoFacts, read_facts
from qdev.tools import process

CONVERTER = "migrate-to-uv==0.12.0"
"""Pinned, so a migration is the same on every machine; raise it deliberately."""
TIMEOUT = 600.0
TOUCHED = (
    "pyproject.toml", "poetry.lock", "poetry.toml", "Pipfile", "Pipfile.lock", "uv.lock",
    "requirements.txt", "requirements-dev.txt",
)  # fmt: skip


def run(root: Path, facts: RepoFacts, journal: Journal) -> str:
    """Convert the project in place (recorded in `journal`); say what was done."""
    from qdev.environment import uv_binary

    for name in TOUCHED:
        journal.remember(root / name)
    argv = [
        uv_binary(), "tool", "run", "--from", CONVERTER, "migrate-to-uv",
        "--skip-lock", "--skip-uv-checks", "--keep-current-build-backend",
        "--keep-current-data", "--dependency-groups-strategy", "keep-existing", str(root),
    ]  # fmt: skip
    result = process.run(
        argv,
        cwd=root,
        env=process.child_env({"UV_NO_PROGRESS": "1"}, drop=("VIRTUAL_ENV",)),
        timeout=TIMEOUT,
    )
    if not result.ok:
        raise QdevError(
            f"migrate-to-uv could not convert the {facts.migration} project; nothing was "
            f"changed:\n{result.output.strip()}",
            fix="fix what migrate-to-uv reports, or convert by hand, then run qdev init again",
        )
    after = read_facts(root)
    if not after.has_project_table:
        raise QdevError(
            "migrate-to-uv ran but wrote no [project] table; nothing was changed",
            fix="convert by hand, then run qdev init again",
        )
    if facts.version.dynamic and facts.version.from_tags and not after.version.dynamic:
        raise UsageError(
            f"migrate-to-uv wrote a static version, but {facts.root.name}'s version comes from "
            f"tags ({facts.version.kind.value}); nothing was changed",
            fix='convert by hand, keeping dynamic = ["version"], then run qdev init again',
        )
    return f"migrated from {facts.migration} with {CONVERTER}: pyproject.toml has a [project] table"
