"""What `qdev doctor` produces: one finding per diagnosis, each with what, why and the fix.

A diagnosis is a small registered unit (repo-review style): an id, a title, why it matters,
the diagnoses it needs first, `diagnose` (what it found, and the exact command that fixes a
problem) and, when the fix is safe to apply unasked, `repair`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, TypeVar

if TYPE_CHECKING:
    from qdev.doctor.context import DoctorContext


class Status(StrEnum):
    OK = "ok"
    PROBLEM = "problem"
    SKIPPED = "skipped"
    """Not diagnosed here: not in a repo, or a diagnosis it needs did not pass."""


@dataclass(frozen=True)
class Verdict:
    status: Status
    what: str
    """One line: what was found."""
    fix: str | None = None
    """The exact command (or edit) that fixes a problem."""
    repairable: bool = True
    """Whether the diagnosis's `repair` fixes this problem (when it has one)."""


def ok(what: str) -> Verdict:
    return Verdict(Status.OK, what)


def problem(what: str, fix: str, *, repairable: bool = True) -> Verdict:
    return Verdict(Status.PROBLEM, what, fix, repairable)


def skipped(why: str) -> Verdict:
    return Verdict(Status.SKIPPED, why)


@dataclass(frozen=True)
class Finding:
    id: str
    title: str
    why: str
    status: Status
    what: str
    fix: str | None = None
    repairable: bool = False
    """A problem that `qdev doctor --fix` repairs (the fix is safe to apply unasked)."""
    fixed: bool = False
    """`--fix` repaired it (the finding shows the state after the repair)."""

    @property
    def is_problem(self) -> bool:
        return self.status is Status.PROBLEM

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "what": self.what,
            "why": self.why,
            "fix": self.fix,
            "repairable": self.repairable,
            "fixed": self.fixed,
        }


class Diagnosis:
    """One thing `qdev doctor` looks at. Subclass, fill the class attributes, `@register`."""

    id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    why: ClassVar[str] = ""
    rank: ClassVar[int] = 0
    """Where the finding is listed: machine first, then the repo."""
    requires: ClassVar[tuple[str, ...]] = ()
    """Diagnoses that must be ok first; otherwise this one is skipped."""
    in_repo: ClassVar[bool] = False
    """Only diagnosed inside a repo (a folder with pyproject.toml or qdev.toml)."""

    def diagnose(self, ctx: DoctorContext) -> Verdict:
        raise NotImplementedError

    def repair(self, ctx: DoctorContext) -> None:
        """Apply the fix. Only diagnoses whose fix is safe to apply unasked override this."""
        raise NotImplementedError

    @property
    def has_repair(self) -> bool:
        return type(self).repair is not Diagnosis.repair

    def finding(self, verdict: Verdict, *, fixed: bool = False) -> Finding:
        return Finding(
            self.id,
            self.title,
            self.why,
            verdict.status,
            verdict.what,
            verdict.fix,
            self.has_repair and verdict.repairable and verdict.status is Status.PROBLEM,
            fixed,
        )


REGISTRY: dict[str, Diagnosis] = {}
D = TypeVar("D", bound=type[Diagnosis])


def register(cls: D) -> D:
    """Class decorator: make a diagnosis discoverable by its id."""
    if cls.id in REGISTRY:  # two modules claiming one id: a bug in qdev
        raise RuntimeError(f"two diagnoses are registered as {cls.id!r}")
    REGISTRY[cls.id] = cls()
    return cls


@dataclass(frozen=True)
class DoctorReport:
    root: str | None
    """The repo diagnosed, None outside a repo (only the machine was diagnosed)."""
    findings: tuple[Finding, ...]
    seconds: float

    @property
    def healthy(self) -> bool:
        return not any(finding.is_problem for finding in self.findings)

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.is_problem)

    def to_json(self) -> dict[str, object]:
        return {
            "root": self.root,
            "healthy": self.healthy,
            "seconds": round(self.seconds, 3),
            "findings": [finding.to_json() for finding in self.findings],
        }
