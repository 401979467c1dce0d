"""What every benchmark script needs: the `qdev` command to time, as people run it."""

from __future__ import annotations

import sys
from pathlib import Path


def qdev_command() -> list[str]:
    """The `qdev` console script beside this interpreter, else `python -m qdev`."""
    script = Path(sys.executable).parent / "qdev"
    return [str(script)] if script.exists() else [sys.executable, "-m", "qdev"]
