"""What a check run produces: each step's status, findings and output."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not_run"
    """The step could not run (e.g. the vulnerability service was unreachable): never a pass."""
    SKIPPED = "skipped"
    """A step it depends on did not pass, or --fail-fast stopped the run first."""


@dataclass(frozen=True)
class Finding:
    """One problem a tool reported, located in a file when the tool says where."""

    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    code: str | None = None

    def location(self) -> str:
        parts = [part for part in (self.path, self.line, self.column) if part is not None]
        return ":".join(str(part) for part in parts)

    def render(self) -> str:
        code = f"{self.code} " if self.code else ""
        where = self.location()
        return f"{where}: {code}{self.message}" if where else f"{code}{self.message}"


@dataclass(frozen=True)
class Outcome:
    """What a step's execution concluded, before timing and caching are added."""

    status: Status
    summary: str
    findings: tuple[Finding, ...] = ()
    output: str = ""
    command: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepResult:
    id: str
    status: Status
    summary: str
    seconds: float = 0.0
    cached: bool = False
    findings: tuple[Finding, ...] = ()
    output: str = ""
    command: tuple[str, ...] = ()
    known: int = 0
    """Findings matched in the repo's baseline: reported as a count, not as failures."""
    cpu_seconds: float | None = None
    """CPU time of the step's tools (their worker processes included); None when no tool ran."""

    @property
    def ok(self) -> bool:
        return self.status is Status.PASSED

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["command"] = list(self.command)
        data["findings"] = [asdict(finding) for finding in self.findings]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepResult:
        return cls(
            id=str(data["id"]),
            status=Status(data["status"]),
            summary=str(data["summary"]),
            seconds=float(data["seconds"]),
            cached=bool(data["cached"]),
            findings=tuple(Finding(**finding) for finding in data["findings"]),
            output=str(data["output"]),
            command=tuple(data["command"]),
            known=int(data.get("known", 0)),
            cpu_seconds=_seconds_or_none(data.get("cpu_seconds")),
        )

    @classmethod
    def from_outcome(
        cls, step_id: str, outcome: Outcome, seconds: float, cpu_seconds: float | None = None
    ) -> StepResult:
        return cls(
            step_id,
            outcome.status,
            outcome.summary,
            seconds,
            False,
            outcome.findings,
            outcome.output,
            outcome.command,
            cpu_seconds=cpu_seconds,
        )


def _seconds_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass
class CheckRun:
    """Every selected step's result, in the order the steps were listed."""

    results: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    """Problems beside the results (the cache could not be written): shown once, never failing."""

    @property
    def failed(self) -> list[StepResult]:
        return [result for result in self.results if result.status is Status.FAILED]

    @property
    def ok(self) -> bool:
        """No step failed; a not-run step is shown but does not fail the run by itself."""
        return not self.failed

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.results:
            counts[result.status.value] += 1
        counts["cached"] = sum(result.cached for result in self.results)
        return counts

    def summary(self) -> str:
        counts = self.counts()
        parts = [
            f"{counts[status.value]} {status.value.replace('_', ' ')}"
            for status in Status
            if counts[status.value]
        ]
        if counts["cached"]:
            parts.append(f"{counts['cached']} from cache")
        text = ", ".join(parts) or "no steps"  # each not-run reason is in its step's row, once
        known = sum(result.known for result in self.results)
        return f"{text}; {known} known in the baseline" if known else text

    def not_run_reasons(self) -> str:
        """`audit: why; lock: why` for the steps that could not run, or ""."""
        return "; ".join(f"{r.id}: {r.summary}" for r in self.results if r.status is Status.NOT_RUN)
