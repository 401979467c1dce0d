"""Runs the selected steps in parallel threads, each step's tools as child processes.

Order of work: answer what the cache can, then start steps whose dependencies are done,
heaviest first, up to `jobs` at once (and, unless the job count was chosen, one light step
beside them), each granted the cores the steps beside it leave (`cores.grant`: what the test
step spreads its workers over). Ctrl-C (or --fail-fast after a
failure) ends every running child's process group together; nothing is cached from a stopped
run. The CPU time each step took is kept (`timings`) to plan the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

from qdev.check import cores, timings
from qdev.check.cache import ResultCache
from qdev.check.fingerprint import step_key
from qdev.check.model import CheckRun, Outcome, Status, StepResult
from qdev.check.steps import Step, StepContext
from qdev.check.steps._base import metered
from qdev.check.toolcache import is_cold
from qdev.errors import Interrupted, QdevError, ToolMissing
from qdev.tools.process import ProcessTimeout

LIGHT_SECONDS = 0.5


class Progress(Protocol):
    def started(self, step: str) -> None: ...
    def finished(self, result: StepResult) -> None: ...


class NoProgress:
    def started(self, step: str) -> None:
        pass

    def finished(self, result: StepResult) -> None:
        pass


@dataclass
class Schedule:
    jobs: int
    fail_fast: bool = False
    use_cache: bool = True
    cores: int | None = None
    """Cores the steps may keep busy together; None: every core this process may use."""
    light_beside: bool = False
    """A light step may start beside `jobs` running ones (one at a time): set when nobody
    chose the job count, which then only keeps the heavy steps from crowding each other."""


def execute(step: Step, ctx: StepContext) -> StepResult:
    """Run one step to a result; a timeout or a tool's complaint is a failure, not a crash."""
    started = time.monotonic()
    with metered() as cpu:
        try:
            outcome = step.execute(ctx)
        except ProcessTimeout:
            outcome = Outcome(Status.FAILED, f"timed out after {step.timeout(ctx):g} s")
        except Interrupted:
            outcome = Outcome(Status.SKIPPED, "stopped before it finished")
        except ToolMissing:
            raise
        except QdevError as exc:
            outcome = Outcome(Status.FAILED, exc.message.splitlines()[0], output=exc.render())
    return StepResult.from_outcome(step.name, outcome, time.monotonic() - started, cpu.seconds)


class _Run:
    def __init__(
        self, ctx: StepContext, steps: dict[str, Step], schedule: Schedule, progress: Progress
    ) -> None:
        self.ctx = ctx
        self.steps = steps
        self.schedule = schedule
        self.progress = progress
        self.cache = ResultCache(ctx.root)
        self.results: dict[str, StepResult] = {}
        self.keys: dict[str, str] = {}
        self.stopping: str | None = None

    def answer_from_cache(self) -> None:
        hashes, env = self.ctx.hashes, self.ctx.environment
        for name, step in self.steps.items():
            if not step.cacheable(self.ctx):
                continue
            self.keys[name] = step_key(step, self.ctx, hashes, env)
            if self.schedule.use_cache and (hit := self.cache.get(name, self.keys[name])):
                self.record(hit)
                if hit.status is Status.FAILED and self.schedule.fail_fast and not self.stopping:
                    self.stopping = name

    def cache_warnings(self) -> list[str]:
        if self.cache.problem is None:
            return []
        return [f"results were not cached: {self.cache.problem}"]

    def record(self, result: StepResult) -> None:
        self.results[result.id] = result
        self.progress.finished(result)

    def blocked_by(self, name: str) -> str | None:
        """A dependency that finished without passing, if any."""
        for dep in self.steps[name].depends_on(self.ctx):
            done = self.results.get(dep)
            if done is not None and done.status is not Status.PASSED:
                return dep
        return None

    def ready(self, running: set[str]) -> list[str]:
        waiting = [n for n in self.steps if n not in self.results and n not in running]
        ready = [
            n for n in waiting if all(d in self.results for d in self.steps[n].depends_on(self.ctx))
        ]
        return sorted(ready, key=lambda n: -self.steps[n].weight)

    def finish(self, result: StepResult) -> None:
        if self.stopping:
            result = StepResult(
                result.id,
                Status.SKIPPED,
                f"stopped by --fail-fast after {self.stopping} failed",
                result.seconds,
            )
        elif result.id in self.keys:
            self.cache.put(result.id, self.keys[result.id], result)
        self.record(result)
        if result.status is Status.FAILED and self.schedule.fail_fast and not self.stopping:
            self.stopping = result.id
            self.ctx.children.end_all()

    def fits_beside(self, name: str, running: dict[Future[StepResult], str]) -> bool:
        """Whether `name` starts now although every job is taken: a light step borrows a core
        for a moment now rather than add its whole time after the heavy ones."""
        if not self.schedule.light_beside or not self.is_light(name):
            return False
        return not any(self.is_light(other) for other in running.values())

    def is_light(self, name: str) -> bool:
        """Expected to take under LIGHT_SECONDS of CPU: by its last run, or, never timed, by
        being of the lightest weight."""
        expected = self.ctx.expected_cpu.get(name)
        if expected is None:
            return self.steps[name].weight <= 1
        return expected < LIGHT_SECONDS

    def grant_cores(self, name: str) -> None:
        """The cores `name` may keep busy, given the steps still to finish beside it."""
        total = self.schedule.cores or cores.available()
        alongside = [other for other in self.steps if other != name and other not in self.results]
        self.ctx.cores[name] = cores.grant(
            name, alongside, total, self.ctx.expected_cpu, self.schedule.jobs
        )

    def go(self, pool: ThreadPoolExecutor) -> None:
        running: dict[Future[StepResult], str] = {}
        while len(self.results) < len(self.steps):
            for name in self.ready(set(running.values())):
                if self.stopping:
                    self.record(
                        StepResult(
                            name,
                            Status.SKIPPED,
                            f"not started: --fail-fast after {self.stopping} failed",
                        )
                    )
                elif dep := self.blocked_by(name):
                    self.record(
                        StepResult(name, Status.SKIPPED, f"needs {dep}, which did not pass")
                    )
                elif len(running) < self.schedule.jobs or self.fits_beside(name, running):
                    self.progress.started(name)
                    self.grant_cores(name)
                    running[pool.submit(execute, self.steps[name], self.ctx)] = name
            if not running:
                if len(self.results) < len(self.steps) and not self.ready(set()):
                    raise QdevError("check steps depend on each other in a cycle")
                continue
            # A short timeout keeps the main thread responsive to Ctrl-C.
            done, _ = wait(running, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in done:
                running.pop(future)
                self.finish(future.result())


def run_steps(
    ctx: StepContext,
    steps: dict[str, Step],
    schedule: Schedule,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CheckRun:
    started = clock()
    state = _Run(ctx, steps, schedule, progress or NoProgress())
    state.answer_from_cache()
    if len(state.results) < len(steps):
        cold = [name for name, step in steps.items() if step.uses_tool_cache and is_cold(ctx, name)]
        ctx.expected_cpu = timings.load(ctx.root, cold)
        threads = max(1, schedule.jobs) + int(schedule.light_beside)
        pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="qdev-step")
        try:
            state.go(pool)
        except BaseException:
            ctx.children.end_all()  # Ctrl-C or a bug: no child outlives the run
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        if not state.stopping:
            timings.record(ctx.root, state.results.values(), cold)
    ordered = [state.results[name] for name in steps]
    return CheckRun(ordered, clock() - started, state.cache_warnings())


def from_cache(ctx: StepContext, steps: dict[str, Step], schedule: Schedule) -> CheckRun | None:
    """The run when the cache answers every step, else None (and nothing is started)."""
    state = _Run(ctx, steps, schedule, NoProgress())
    state.answer_from_cache()
    if len(state.results) < len(steps):
        return None
    return CheckRun([state.results[name] for name in steps], 0.0)
