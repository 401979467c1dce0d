"""The one place qdev starts subprocesses.

Argument lists only, never a shell string. Every child runs in its own process group, so a
timeout or Ctrl-C ends the whole tree, not just the direct child.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qdev.errors import Interrupted, QdevError, ToolMissing

# How to get each tool qdev may run; shown when the tool is missing.
INSTALL_HINTS: dict[str, str] = {
    "uv": "python3 -m pip install uv   (or see https://docs.astral.sh/uv/)",
    "git": "apt-get install git   (or your platform's package manager)",
    "ruff": "qdev env   (ruff is locked in the repo's dev dependency group)",
    "mypy": "qdev env   (mypy is locked in the repo's dev dependency group)",
    "pytest": "qdev env   (pytest is locked in the repo's dev dependency group)",
    "pip-audit": "qdev env   (pip-audit is locked in the repo's dev dependency group)",
    "pre-commit": "qdev env   (pre-commit is locked in the repo's dev dependency group)",
    "nox": "python3 -m pip install nox",
    "gpg": "apt-get install gnupg",
}

GRACE_SECONDS = 1.0


class ProcessTimeout(QdevError):
    """A child ran past its time limit and was ended with its whole process group."""


@dataclass(frozen=True)
class ProcessResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        """stdout and stderr together, for showing a failed step."""
        return "\n".join(part for part in (self.stdout, self.stderr) if part)


def which(tool: str, path: str | None = None) -> str:
    """The full path of `tool`, or ToolMissing naming how to install it."""
    if tool == "uv":
        return find_uv()
    found = shutil.which(tool, path=path)
    if found is None:
        raise ToolMissing(f"{tool} is not installed or not on PATH", fix=INSTALL_HINTS.get(tool))
    return found


def find_uv() -> str:
    """uv from PATH, else the binary shipped by the `uv` package qdev depends on."""
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError) as exc:
        raise ToolMissing("uv is not installed", fix=INSTALL_HINTS["uv"]) from exc


def child_env(
    extra: Mapping[str, str] | None = None, *, drop: Sequence[str] = ()
) -> dict[str, str]:
    """The environment a child gets: ours, less `drop`, plus `extra`."""
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(extra or {})
    return env


def run(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    capture: bool = True,
    input_text: str | None = None,
) -> ProcessResult:
    """Run `argv` to completion and return its result; a non-zero exit is not an error here.

    `env` replaces the environment when given (build it with `child_env`). With
    `capture=False` the child's output goes straight to our terminal.
    """
    if isinstance(argv, str):
        raise TypeError("run() takes an argument list, never a shell string")
    args = [str(part) for part in argv]
    executable = which(args[0], path=(env or os.environ).get("PATH")) if os.sep not in args[0] else args[0]
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            [executable, *args[1:]],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ToolMissing(
            f"{args[0]} could not be started: {exc.strerror}", fix=INSTALL_HINTS.get(args[0])
        ) from exc
    except NotADirectoryError as exc:
        raise QdevError(f"cannot run {args[0]} in {cwd}: not a folder") from exc
    stdout, stderr = _communicate(proc, args, input_text, timeout)
    return ProcessResult(tuple(args), proc.returncode, stdout or "", stderr or "", time.monotonic() - started)


def _communicate(
    proc: subprocess.Popen[str], args: list[str], input_text: str | None, timeout: float | None
) -> tuple[str | None, str | None]:
    try:
        return proc.communicate(input=input_text, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        kill_group(proc)
        raise ProcessTimeout(
            f"{' '.join(args)} did not finish within {timeout:g} s and was stopped",
            fix="raise the timeout or look at why the command hangs",
        ) from exc
    except KeyboardInterrupt as exc:
        kill_group(proc)
        raise Interrupted("interrupted") from exc
    except BaseException:
        kill_group(proc)
        raise


def kill_group(proc: subprocess.Popen[str]) -> None:
    """End the child's whole process group: SIGTERM, then SIGKILL after a short grace."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=GRACE_SECONDS)
            # The leader is gone; make sure no grandchild in its group lingers.
            _signal_group(proc.pid, signal.SIGKILL)
            break
        except subprocess.TimeoutExpired:
            continue
    proc.wait()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
