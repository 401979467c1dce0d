"""The one place qdev starts subprocesses.

Argument lists only, never a shell string. Every child runs in its own session (process group),
so a timeout or Ctrl-C ends the whole tree, not just the direct child: SIGTERM, then SIGKILL
after GRACE_SECONDS. `run` runs one child, its output captured (decoded as UTF-8) or streamed
to our terminal; `ChildGroup` runs children from several threads and ends them all at once.
The environment is ours unless `env` (built with `child_env`) replaces it. A tool that is not
there is ToolMissing (exit 3) with how to install it; a timeout is ProcessTimeout (exit 1).
The one exception is git_quick.py: the warm `qdev check` cannot afford to import subprocess.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qdev.errors import Interrupted, ToolFailed, ToolMissing, UsageError

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


class ProcessTimeout(ToolFailed):
    """A child ran past its time limit and was ended with its whole process group (exit 1)."""


@dataclass(frozen=True)
class ProcessResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    interrupted: bool = False
    """A first Ctrl-C or SIGTERM came while the child ran and was told to finish (`patient`)."""
    cpu_seconds: float | None = None
    """User and system CPU time of the child and every descendant it waited for (a test
    runner's workers too); None when the system could not say."""

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
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    capture: bool = True,
    input_text: str | None = None,
    on_start: Callable[[int], None] | None = None,
    patient: Callable[[], None] | None = None,
) -> ProcessResult:
    """Run `argv` to completion and return its result; a non-zero exit is not an error here.

    `env` replaces the environment when given (build it with `child_env`). With
    `capture=False` the child's output goes straight to our terminal. `on_start` gets the
    child's pid (also its process group) as soon as it runs. With `patient`, work that must
    not be cut short (a push) survives a first Ctrl-C or SIGTERM: `patient` is called, the
    child runs on and the result says `interrupted`; a second one ends the child (Interrupted).
    """
    args = _arguments(argv)
    started = time.monotonic()
    proc = _start(args, cwd, env, capture=capture, feed_stdin=input_text is not None)
    if on_start is not None:
        try:
            on_start(proc.pid)
        except BaseException:
            kill_group(proc)
            raise
    with _first_interrupt_waits(patient) as interrupted:
        stdout, stderr = _communicate(proc, args, input_text, timeout)
    seconds = time.monotonic() - started
    return _result(args, proc, stdout, stderr, seconds, interrupted=bool(interrupted))


def _result(
    args: list[str],
    proc: subprocess.Popen[str],
    stdout: str | None,
    stderr: str | None,
    seconds: float,
    *,
    interrupted: bool = False,
) -> ProcessResult:
    cpu = proc.cpu_seconds if isinstance(proc, _Child) else None
    out, err = stdout or "", stderr or ""
    return ProcessResult(tuple(args), proc.returncode, out, err, seconds, interrupted, cpu)


@contextlib.contextmanager
def _first_interrupt_waits(patient: Callable[[], None] | None) -> Iterator[list[int]]:
    """While the body runs, a first SIGINT or SIGTERM only calls `patient` and is remembered
    (in the yielded list); a second raises KeyboardInterrupt as usual."""
    import threading

    if patient is None or threading.current_thread() is not threading.main_thread():
        yield []
        return
    seen: list[int] = []

    def first(signum: int, frame: object) -> None:
        if seen:
            raise KeyboardInterrupt
        seen.append(signum)
        patient()

    previous = {sig: signal.signal(sig, first) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield seen
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _arguments(argv: Sequence[str | os.PathLike[str]]) -> list[str]:
    if isinstance(argv, str):
        raise TypeError("qdev runs argument lists, never a shell string")
    if not argv:
        raise ValueError("an empty argument list names no program to run")
    return [str(part) for part in argv]


def _communicate(
    proc: subprocess.Popen[str], args: list[str], input_text: str | None, timeout: float | None
) -> tuple[str | None, str | None]:
    try:
        with _ended_if_cut_short(proc):
            return proc.communicate(input=input_text, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise ProcessTimeout(
            f"{' '.join(args)} did not finish within {timeout:g} s and was stopped",
            fix="raise the timeout or look at why the command hangs",
        ) from exc


@contextlib.contextmanager
def _ended_if_cut_short(proc: subprocess.Popen[str]) -> Iterator[None]:
    """End the child's process group when we stop waiting for it: Ctrl-C (as Interrupted), a
    timeout, any error."""
    try:
        yield
    except KeyboardInterrupt as exc:
        kill_group(proc)
        raise Interrupted("interrupted") from exc
    except BaseException:
        kill_group(proc)
        raise


class ChildGroup:
    """Children started from several threads that one call ends together (Ctrl-C, --fail-fast).

    `run` is `run()` for one child, registered while it runs; `end_all` stops every running
    child's process group (SIGTERM, then SIGKILL after the grace) and refuses new ones, so the
    whole group is gone within about 2 * GRACE_SECONDS.
    """

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        self.ended = False

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> ProcessResult:
        args = _arguments(argv)
        started = time.monotonic()
        with self._lock:
            if self.ended:
                raise Interrupted("stopped before it started")
            proc = _start(args, cwd, env)
            self._running.add(proc)
        try:
            stdout, stderr = _communicate(proc, args, None, timeout)
        finally:
            with self._lock:
                self._running.discard(proc)
        seconds = time.monotonic() - started
        return _result(args, proc, stdout, stderr, seconds)

    def end_all(self) -> None:
        with self._lock:
            self.ended = True
            procs = list(self._running)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for proc in procs:
                _signal_group(proc.pid, sig)
            deadline = time.monotonic() + GRACE_SECONDS
            while any(proc.poll() is None for proc in procs) and time.monotonic() < deadline:
                time.sleep(0.02)
        for proc in procs:
            _signal_group(proc.pid, signal.SIGKILL)  # grandchildren left in the group


def _start(
    args: list[str],
    cwd: Path | str | None,
    env: Mapping[str, str] | None,
    *,
    capture: bool = True,
    feed_stdin: bool = False,
) -> subprocess.Popen[str]:
    """Start `args` in a new session (its own process group), output captured or inherited."""
    if cwd is not None and not Path(cwd).is_dir():
        raise UsageError(f"cannot run {args[0]} in {cwd}: there is no such folder")
    path = (env if env is not None else os.environ).get("PATH")
    executable = which(args[0], path=path) if os.sep not in args[0] else args[0]
    try:
        return _Child(
            [executable, *args[1:]],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if feed_stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ToolMissing(
            f"{args[0]} could not be started: {exc.strerror}", fix=INSTALL_HINTS.get(args[0])
        ) from exc
    except PermissionError as exc:
        raise ToolMissing(
            f"{executable} cannot be run: {exc.strerror}", fix="make it executable (chmod +x)"
        ) from exc


class _Child(subprocess.Popen[str]):
    """A Popen that keeps the child's CPU time: it reaps the child with wait4, whose resource
    usage covers the child and the descendants it waited for, where Popen uses waitpid."""

    cpu_seconds: float | None = None

    def _try_wait(self, wait_flags: int) -> tuple[int, int]:
        # Popen's own _try_wait (the same from Python 3.3 to 3.13), with wait4 for waitpid.
        try:
            pid, status, usage = os.wait4(self.pid, wait_flags)
        except ChildProcessError:  # SIGCHLD ignored: the status is lost, as Popen says
            return self.pid, 0
        if pid:
            self.cpu_seconds = usage.ru_utime + usage.ru_stime
        return pid, status


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
    # communicate() was cut short, so nothing else will close the pipes.
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def group_alive(pgid: int) -> bool:
    """Whether any process of group `pgid` still runs (one of another user's counts)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def run_lines(
    argv: Sequence[str | os.PathLike[str]],
    on_line: Callable[[str], None],
    *,
    input_text: str = "",
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
) -> ProcessResult:
    """Run `argv` fed `input_text`, calling `on_line` with each line of its stdout as it comes
    (a worker reporting one result at a time); stderr is collected. Ctrl-C ends its group."""
    import threading

    args = _arguments(argv)
    started = time.monotonic()
    proc = _start(args, cwd, env, feed_stdin=True)
    stdin, stdout, stderr = proc.stdin, proc.stdout, proc.stderr
    assert stdin is not None
    assert stdout is not None
    assert stderr is not None
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.append(stderr.read()), daemon=True)
    reader.start()
    with _ended_if_cut_short(proc):
        stdin.write(input_text)
        stdin.close()
        for line in stdout:
            on_line(line.rstrip("\n"))
        proc.wait()
    reader.join()
    stdout.close()
    stderr.close()
    seconds = time.monotonic() - started
    return ProcessResult(tuple(args), proc.returncode, "", "".join(errors), seconds)
