"""Turns every exception into one message and a documented exit code; nothing else does.

A QdevError is the user's to fix: its message is printed. Anything else is a bug in qdev: a
one-line message names a file holding the traceback, and --verbose prints it too.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from qdev.errors import ExitCode, QdevError


def bug_report_dir() -> Path:
    from platformdirs import user_state_path

    return user_state_path("qdev") / "crash"


def save_traceback(exc: BaseException) -> Path:
    folder = bug_report_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"qdev-{time.strftime('%Y%m%d-%H%M%S')}-{id(exc):x}.log"
    text = "".join(traceback.format_exception(exc))
    path.write_text(f"qdev {_version()} on Python {sys.version.split()[0]}\n{sys.argv}\n\n{text}")
    return path


def _version() -> str:
    from qdev import __version__

    return __version__


def _err(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")


def handle_exception(exc: BaseException, *, verbose: bool = False) -> int:
    if isinstance(exc, QdevError):
        _err(f"qdev: error: {exc.render()}" if exc.exit_code != ExitCode.INTERRUPTED else "qdev: interrupted")
        return int(exc.exit_code)
    if isinstance(exc, KeyboardInterrupt):
        _err("qdev: interrupted")
        return int(ExitCode.INTERRUPTED)
    try:
        where = save_traceback(exc)
        saved = f"; the traceback is in {where}"
    except OSError:
        saved = ""
    _err(f"qdev: internal error (this is a bug in qdev): {type(exc).__name__}: {exc}{saved}")
    if verbose:
        traceback.print_exception(exc)
    return 70  # EX_SOFTWARE: not a user error


@contextmanager
def error_boundary(verbose: Callable[[], bool]) -> Iterator[list[int]]:
    """Run the body; on an exception, store the exit code in the yielded one-item list."""
    code: list[int] = [0]
    try:
        yield code
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - this is the one place that catches everything
        code[0] = handle_exception(exc, verbose=verbose())
