"""`python -m qdev.fleet.worker`: reads repos for `qdev fleet status` in a process of its own.

Reading a repo is mostly Python (the drift check renders the profile's templates), so a fleet
with many changed repos is read by one such worker per core. It takes a JSON list of
`{"root": ..., "branch": ...}` on stdin and prints one JSON line per repo as it is read,
`{"root": ..., "facts": {...}}`, so the caller can show progress.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> int:
    from qdev.fleet.status import read_one

    for item in json.loads(sys.stdin.read()):
        facts = read_one(Path(item["root"]), item.get("branch"))
        sys.stdout.write(json.dumps({"root": item["root"], "facts": facts.to_json()}) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a subprocess; main() is tested directly
    sys.exit(main())
