"""The one exception hierarchy; each class carries the exit code DESIGN.md documents.

Exit codes, the same for every command (docs/exit-codes.md):
0 success; 1 the checks found problems; 2 usage or configuration error;
3 a required tool or environment is missing; 4 a guard refused; 130 interrupted.
Two more are never raised as a QdevError: 70 a bug in qdev, 141 the reader of our output went away.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CHECKS_FAILED = 1
    USAGE = 2
    MISSING_TOOL = 3
    GUARD_REFUSED = 4
    INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug in qdev, never the user's fault
    INTERRUPTED = 130
    BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for any tool cut off by `| head`


class QdevError(Exception):
    """A failure the user can act on: printed as one message, never as a traceback."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def render(self) -> str:
        if self.fix:
            return f"{self.message}\n  fix: {self.fix}"
        return self.message


class UsageError(QdevError):
    """Bad arguments or bad input on the command line."""

    exit_code = ExitCode.USAGE


class ConfigError(QdevError):
    """One or more problems in configuration files; every problem of a file is listed."""

    exit_code = ExitCode.USAGE

    def __init__(self, problems: list[str], *, fix: str | None = None) -> None:
        super().__init__("\n".join(problems), fix=fix)
        self.problems = problems

    def render(self) -> str:
        if len(self.problems) < 2:
            return super().render()
        listed = "\n".join(f"  {problem}" for problem in self.problems)
        fix = f"\n  fix: {self.fix}" if self.fix else ""
        return f"{len(self.problems)} problems in the configuration:\n{listed}{fix}"


class ChecksFailed(QdevError):
    """The checks ran and found problems."""

    exit_code = ExitCode.CHECKS_FAILED


class ToolFailed(QdevError):
    """A tool qdev ran failed in a way that ends the command (it crashed or ran out of time)."""

    exit_code = ExitCode.CHECKS_FAILED


class ToolMissing(QdevError):
    """A required tool, interpreter or environment is not there."""

    exit_code = ExitCode.MISSING_TOOL


class GuardRefused(QdevError):
    """A safety guard refused to go on (dirty tree, wrong branch, tag exists...)."""

    exit_code = ExitCode.GUARD_REFUSED


class Interrupted(QdevError):
    """The user pressed Ctrl-C (or the process got SIGINT/SIGTERM)."""

    exit_code = ExitCode.INTERRUPTED
