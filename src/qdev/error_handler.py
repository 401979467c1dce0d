"""Turns every exception into one message and a documented exit code; nothing else does.

A QdevError is the user's to fix: its message (and fix) is printed, never a traceback. Anything
else is a bug in qdev: a one-line message names a file under the XDG state folder holding the
traceback, and --verbose prints the traceback too. Every line written here, to the terminal or
to the crash log, has the credentials of its URLs masked (redact.py), so no message can leak a
password whoever wrote it.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from qdev.errors import ExitCode, QdevError
from qdev.redact import mask_credentials

# Exit 3 means this machine or repo lacks something: one command looks at all of it.
DOCTOR_HINT = "  hint: `qdev doctor` checks the tools, Pythons and environment qdev needs"


def crash_dir() -> Path:
    from platformdirs import user_state_path

    return user_state_path("qdev") / "crash"


def save_traceback(exc: BaseException) -> Path:
    """Write the traceback of `exc`, with what is needed to reproduce it, to a new file."""
    from qdev import __version__
    from qdev.fileio import write_atomic

    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = crash_dir() / f"qdev-{stamp}-{os.getpid()}-{id(exc):x}.log"
    text = "".join(traceback.format_exception(exc))
    header = f"qdev {__version__} on Python {sys.version.split()[0]} ({sys.platform})"
    log = f"{header}\nargv: {sys.argv}\ncwd: {_working_folder()}\n\n{text}"
    write_atomic(path, mask_credentials(log))
    return path


def _working_folder() -> str:
    try:
        return os.getcwd()
    except OSError as exc:
        return f"(unknown: {exc.strerror})"


def _err(message: str) -> None:
    sys.stderr.write(mask_credentials(message.rstrip("\n")) + "\n")
    sys.stderr.flush()


def _silence_stdout() -> None:
    # The reader is gone: point stdout at /dev/null so the final flush cannot fail again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def handle_exception(exc: BaseException, *, verbose: bool = False) -> int:
    """Print the one message `exc` deserves and return the exit code for it."""
    if isinstance(exc, QdevError):
        if exc.exit_code == ExitCode.INTERRUPTED:
            # An interruption that left something to say (what was kept, how to go on) says it.
            detail = "" if exc.message == "interrupted" else f": {exc.render()}"
            _err(f"qdev: interrupted{detail}")
        else:
            _err(f"qdev: error: {exc.render()}")
        if exc.exit_code == ExitCode.MISSING_TOOL:
            _err(DOCTOR_HINT)
        return int(exc.exit_code)
    if isinstance(exc, KeyboardInterrupt):
        _err("qdev: interrupted")
        return int(ExitCode.INTERRUPTED)
    if isinstance(exc, BrokenPipeError):
        _silence_stdout()
        return int(ExitCode.BROKEN_PIPE)
    return _report_bug(exc, verbose=verbose)


def _report_bug(exc: BaseException, *, verbose: bool) -> int:
    try:
        where = save_traceback(exc)
        saved = f"; the traceback is in {where}"
    except OSError as write_error:
        saved = f"; the traceback could not be saved ({write_error.strerror})"
    hint = "" if verbose else " (run again with -v to see it)"
    summary = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    _err(f"qdev: internal error, this is a bug in qdev: {summary}{saved}{hint}")
    if verbose:
        _err("".join(traceback.format_exception(exc)))
    return int(ExitCode.INTERNAL_ERROR)


@contextmanager
def error_boundary(verbose: Callable[[], bool]) -> Iterator[list[int]]:
    """Run the body; on an exception, store its exit code in the yielded one-item list.

    `verbose` is asked only when something went wrong, after the options have been parsed.
    """
    code: list[int] = [0]
    try:
        yield code
    except SystemExit:
        raise
    except BaseException as exc:  # the one place that catches everything
        code[0] = handle_exception(exc, verbose=verbose())
