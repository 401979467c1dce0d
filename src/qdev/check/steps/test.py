"""`test`: pytest with coverage, failing below `check.coverage` percent.

A suite big enough to gain is spread over workers: pytest processes that each collect and run
their share of the test files (`_pytest_worker` ignores the others' files before importing
them, so no module is imported twice, unlike pytest-xdist's workers, which each collect the
whole suite), as many as the cores the other steps leave free (`StepContext.cores_for`).
Coverage data is written by each process and reported once for all (`_coverage_report`), with
pytest-cov's own verdict, so the findings and the summary are the same for one process or many.
"""

from __future__ import annotations

import configparser
import contextvars
import fnmatch
import heapq
import json
import os
import re
import shlex
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qdev.check import _globs
from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps import _pytest_output as output
from qdev.check.steps._base import Step, StepContext, register
from qdev.check.steps._util import judged, tool_error

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from qdev.config.models import TestOptions
    from qdev.tools.process import ProcessResult

# Tracked files that cannot change a test run: docs, CI and hook config, the lock (its
# packages are keyed separately) and qdev's own config (keyed through the step's settings).
NOT_READ = (
    "**/*.md", "**/*.rst", "docs/**", ".github/**", ".gitlab-ci.yml", ".pre-commit-config.yaml",
    "LICENSE*", "**/.gitignore", "noxfile.py", "uv.lock", "qdev.toml", ".qdev/**",
)  # fmt: skip
COVER_FAIL = re.compile(
    r"FAIL Required test coverage of (?P<need>[\d.]+)% not reached\. "
    r"Total coverage: (?P<got>[\d.]+)%"
)
# With no timings yet, a worker is worth its start-up (a Python with pytest and coverage,
# about 0.3 s of CPU) for this many test files; with timings, for this much CPU time of tests.
FILES_PER_WORKER = 20
SECONDS_PER_WORKER = 1.0
DEFAULT_TEST_FILES = ("test_*.py", "*_test.py")
# Options that only mean something for one process over the whole suite (stop at the first
# failure, rerun the last failures, one report file, the user's own pytest-xdist workers).
ONE_PROCESS_OPTIONS = (
    "--numprocesses", "--dist", "--tx", "--exitfirst", "--maxfail", "--pdb", "--trace",
    "--lf", "--last-failed", "--ff", "--failed-first", "--sw", "--stepwise", "--nf",
    "--new-first", "--co", "--collect-only", "--junitxml", "--junit-xml", "--report-log",
    "--result-log", "--html", "--json-report", "--setup-plan", "--setup-only", "--cov-append",
)  # fmt: skip
ONE_PROCESS_SHORT = "nxd"  # -n 4, -x, -d
SHORT_WITH_VALUE = "kmpcoWr"
STATS_ORDER = (
    "failed",
    "passed",
    "skipped",
    "deselected",
    "xfailed",
    "xpassed",
    "warnings",
    "error",
)
STAT = re.compile(r"(\d+) ([a-z]+)")
WORKER_PLUGIN = "_qdev_worker"


@dataclass(frozen=True)
class Worker:
    number: int
    files: list[str]
    """The test files it owns (repo-relative)."""


@register
class Test(Step):
    id = "test"
    description = "pytest with coverage at or above check.coverage percent"
    tools = ("pytest",)
    packages = ("*",)
    weight = 4

    def options(self, ctx: StepContext) -> TestOptions:
        return ctx.config.check.test

    def reads(self, ctx: StepContext) -> list[str]:
        skipped = set(_globs.select(ctx.visible_files, NOT_READ))
        return [path for path in ctx.visible_files if path not in skipped]

    def settings(self, ctx: StepContext) -> dict[str, Any]:
        return {**super().settings(ctx), "coverage": ctx.config.check.coverage}

    def cov_source(self, ctx: StepContext) -> list[str]:
        if ctx.tool_settings("coverage").get("run", {}).get("source") or _source_elsewhere(ctx):
            return ["--cov"]
        from qdev.project.facts import read_sources

        packages = read_sources(ctx.root).packages
        if packages:
            return [f"--cov={package}" for package in packages]  # the real packages, by name
        return ["--cov=src"] if (ctx.root / "src").is_dir() else ["--cov=."]

    def workers(self, ctx: StepContext, suite: Sequence[str]) -> int:
        """How many pytest processes to spread the test files over."""
        wanted = self.options(ctx).workers
        if one_process_only([*self.options(ctx).args, *addopts(ctx)]):
            return 1
        if wanted != "auto":
            return max(1, min(wanted, len(suite)))
        expected = ctx.expected_cpu.get(self.id)
        if expected is None:
            worth = len(suite) // FILES_PER_WORKER
        else:
            worth = int(expected // SECONDS_PER_WORKER)
        return max(1, min(ctx.cores_for(self.id), worth, len(suite)))

    def execute(self, ctx: StepContext) -> Outcome:
        scratch = ctx.scratch or ctx.root
        suite = suite_files(ctx)
        argv = [
            ctx.tool("pytest"), "-p", "no:cacheprovider", "-rfE", *self.cov_source(ctx),
            # coverage is reported once, for every worker, by _coverage_report
            "--cov-report=", "--cov-fail-under=0", *self.options(ctx).args,
        ]  # fmt: skip
        workers = plan(suite, self.workers(ctx, suite), ctx.root)
        runs = self._run(ctx, argv, workers, scratch)
        verdict = self._verdict(ctx, argv, workers, runs)
        if verdict is not None:
            return verdict
        outputs = _joined(workers, runs)
        covered = self._coverage(ctx, workers, scratch)
        command = tuple(argv)
        if covered is not None:
            outputs = f"{outputs}\n{covered.output}".strip("\n")
            lines = covered.stdout.splitlines()
            shortfall = next((m for m in map(COVER_FAIL.search, lines) if m), None)
            if covered.returncode == 1 and shortfall:
                summary = f"coverage {shortfall['got']}% is under the required {shortfall['need']}%"
                uncovered = output.uncovered(ctx, scratch / "coverage.json", lines)
                return Outcome(Status.FAILED, summary, tuple(uncovered), outputs, command)
            if covered.returncode != 0:
                return tool_error(covered.argv, covered)
        return Outcome(Status.PASSED, _passed(runs), (), outputs, command)

    def _run(
        self, ctx: StepContext, argv: list[str], workers: list[Worker], scratch: Path
    ) -> list[ProcessResult]:
        if len(workers) == 1:
            env = {"COVERAGE_FILE": str(_data_folder(scratch, 0) / ".coverage")}
            return [ctx.run(argv, timeout=self.timeout(ctx), env=env)]
        home = scratch / "pytest-plugin"
        home.mkdir(parents=True, exist_ok=True)
        source = Path(__file__).with_name("_pytest_worker.py")
        (home / f"{WORKER_PLUGIN}.py").write_text(source.read_text(encoding="utf-8"))
        top = ctx.root.resolve()
        owners = {str(top / path): w.number for w in workers for path in w.files}
        plan_file = scratch / "test-plan.json"
        plan_file.write_text(json.dumps(owners), encoding="utf-8")
        jobs = []
        for worker in workers:
            data = _data_folder(scratch, worker.number)
            env = {"COVERAGE_FILE": str(data / ".coverage"), "PYTHONPATH": str(home)}
            mine = [
                "-p", WORKER_PLUGIN, f"--qdev-worker={worker.number}/{len(workers)}",
                f"--qdev-plan={plan_file}",
            ]  # fmt: skip
            jobs.append(([*argv, *mine], env))
        return run_together(ctx, jobs, self.timeout(ctx))

    def _verdict(
        self,
        ctx: StepContext,
        argv: list[str],
        workers: list[Worker],
        runs: list[ProcessResult],
    ) -> Outcome | None:
        """The outcome when the tests alone decide it (none collected, broken, failing)."""
        command = tuple(argv)
        text = _joined(workers, runs)
        if all(run.returncode == 5 for run in runs):
            finding = Finding("no tests were collected")
            return Outcome(Status.FAILED, finding.message, (finding,), text, command)
        broken: list[Finding] = []
        failing: list[Finding] = []
        for run in runs:
            lines = run.stdout.splitlines()
            mine = output.import_failures(ctx, [*lines, *run.stderr.splitlines()])
            broken += mine
            # a module that cannot be imported stops its whole run, as it stops one process's
            failing += output.failures(ctx, lines, skip={f.path for f in mine}) if mine else []
        if broken:
            findings = in_test_order([*broken, *failing])
            return Outcome(
                Status.FAILED,
                output.broken_summary(in_test_order(broken)),
                tuple(findings),
                text,
                command,
            )
        for run in runs:
            if run.returncode not in (0, 1, 5):
                return tool_error(argv, run)
        failures = in_test_order(
            [found for run in runs for found in output.failures(ctx, run.stdout.splitlines())]
        )
        if failures:
            return judged(False, failures, text, argv, passed="", failed="{n} failing test{s}")
        failed_run = next((run for run in runs if run.returncode == 1), None)
        if failed_run is not None:  # failed, yet no test says why
            return tool_error(argv, failed_run)
        return None

    def _coverage(
        self, ctx: StepContext, workers: list[Worker], scratch: Path
    ) -> ProcessResult | None:
        """Coverage's report and verdict over every worker's data; None without data (the
        user's own `--no-cov`)."""
        # every data file, whatever its suffix (coverage's `parallel`, measured subprocesses)
        parts = sorted(
            part
            for w in workers
            for part in _data_folder(scratch, w.number).glob(".coverage*")
            if part.is_file()
        )
        if not parts:
            return None
        combined = scratch / ".coverage"
        script = Path(__file__).with_name("_coverage_report.py")
        argv = [
            str(ctx.venv / "bin" / "python"), "-I", str(script), "--data", str(combined),
            "--fail-under", f"{ctx.config.check.coverage:g}",
            "--json", str(scratch / "coverage.json"), *map(str, parts),
        ]  # fmt: skip
        return ctx.run(argv, timeout=self.timeout(ctx))


def _data_folder(scratch: Path, worker: int) -> Path:
    """Where a worker's coverage data goes: a folder of its own, as coverage combines the
    files beside its data file."""
    folder = scratch / f"worker-{worker}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_together(
    ctx: StepContext, jobs: Sequence[tuple[list[str], Mapping[str, str]]], timeout: float
) -> list[ProcessResult]:
    """Run the commands at once; every one is waited for before an error is raised."""
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="qdev-test") as pool:
        futures = [
            # each thread carries this step's context along (its CPU meter)
            pool.submit(contextvars.copy_context().run, _run_one, ctx, argv, env, timeout)
            for argv, env in jobs
        ]
        errors = [error for future in futures if (error := future.exception()) is not None]
    if errors:
        raise errors[0]
    return [future.result() for future in futures]


def _run_one(
    ctx: StepContext, argv: list[str], env: Mapping[str, str], timeout: float
) -> ProcessResult:
    return ctx.run(argv, timeout=timeout, env=env)


def plan(suite: Sequence[str], count: int, root: Path) -> list[Worker]:
    """The test files spread over `count` workers, biggest first onto the least loaded (file
    size stands for the time a file takes)."""
    if count <= 1:
        return [Worker(0, list(suite))]
    sizes = {path: _size(root / path) for path in suite}
    loads = [(0, number) for number in range(count)]
    owned: list[list[str]] = [[] for _ in range(count)]
    for path in sorted(suite, key=lambda p: (-sizes[p], p)):
        load, number = heapq.heappop(loads)
        owned[number].append(path)
        heapq.heappush(loads, (load + sizes[path], number))
    return [Worker(number, sorted(files)) for number, files in enumerate(owned)]


def _size(path: Path) -> int:
    try:
        return max(1, path.stat().st_size)
    except OSError:
        return 1


def pytest_ini(ctx: StepContext) -> dict[str, Any]:
    """pytest's settings as the repo writes them: `pytest.ini`, else pyproject.toml's
    `[tool.pytest.ini_options]` (and pytest 9's `[tool.pytest]`)."""
    ini = ctx.root / "pytest.ini"
    if ini.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(ini, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            return {}
        return dict(parser["pytest"]) if parser.has_section("pytest") else {}
    table = ctx.tool_settings("pytest")
    legacy = table.get("ini_options", {})
    native = {key: value for key, value in table.items() if key != "ini_options"}
    return {**(legacy if isinstance(legacy, dict) else {}), **native}


def _words(value: Any) -> list[str]:
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return value.split()
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def addopts(ctx: StepContext) -> list[str]:
    return [*_words(pytest_ini(ctx).get("addopts")), *_words(os.environ.get("PYTEST_ADDOPTS"))]


def one_process_only(args: Sequence[str]) -> bool:
    """Whether the options ask for one pytest over the whole suite (or the user's own
    pytest-xdist): then the test files are not spread."""
    for arg in args:
        if arg.startswith("--"):
            if any(arg == name or arg.startswith(f"{name}=") for name in ONE_PROCESS_OPTIONS):
                return True
        elif arg.startswith("-") and len(arg) > 1:
            for letter in arg[1:]:
                if letter in ONE_PROCESS_SHORT:
                    return True
                if letter in SHORT_WITH_VALUE:
                    break
    return False


def suite_files(ctx: StepContext) -> list[str]:
    """The files pytest would collect tests from, as far as its settings tell: names matching
    `python_files`, under `testpaths` when it is set."""
    ini = pytest_ini(ctx)
    patterns = _words(ini.get("python_files")) or list(DEFAULT_TEST_FILES)
    places = [p.strip("/") for p in _words(ini.get("testpaths")) if p.strip("/") not in ("", ".")]
    found = []
    for path in ctx.visible_files:
        name = path.rsplit("/", 1)[-1]
        if not any(fnmatch.fnmatch(name, pattern) for pattern in patterns):
            continue
        if places and not any(
            path.startswith(f"{place}/") or fnmatch.fnmatch(path, f"{place}/*") for place in places
        ):
            continue
        found.append(path)
    return found


def in_test_order(findings: list[Finding]) -> list[Finding]:
    """Findings of several workers in the order one pytest would report them: folder by folder
    as pytest walks them; a file's own findings keep their order (one worker runs a file)."""
    return sorted(findings, key=lambda f: (f.path or "").split("/"))


def _joined(workers: list[Worker], runs: list[ProcessResult]) -> str:
    if len(runs) == 1:
        return runs[0].output
    parts = [
        f"[worker {w.number + 1} of {len(workers)}: {len(w.files)} test files]\n{run.output}"
        for w, run in zip(workers, runs, strict=True)
    ]
    return "\n".join(parts)


def _passed(runs: list[ProcessResult]) -> str:
    """pytest's closing line (`600 passed, 2 skipped in 3.10s`), for one run or added up."""
    if len(runs) == 1:
        lines = runs[0].stdout.splitlines()
        return next(
            (line.strip("= ") for line in reversed(lines) if " passed" in line), "tests passed"
        )
    totals: dict[str, int] = {}
    for run in runs:
        last = next((ln for ln in reversed(run.stdout.splitlines()) if " in " in ln), "")
        for count, word in STAT.findall(last.split(" in ")[0]):
            key = {"warning": "warnings", "errors": "error"}.get(word, word)
            totals[key] = totals.get(key, 0) + int(count)
    seconds = max(run.seconds for run in runs)
    order = [*STATS_ORDER, *(key for key in totals if key not in STATS_ORDER)]
    parts = [_plural(totals[key], key) for key in order if totals.get(key)]
    return f"{', '.join(parts) or 'tests passed'} in {_duration(seconds)}"


def _plural(count: int, word: str) -> str:
    if word in ("error", "warnings"):
        word = word.replace("warnings", "warning")
        word = word if count == 1 else f"{word}s"
    return f"{count} {word}"


def _duration(seconds: float) -> str:
    """As pytest writes a session's length."""
    if seconds < 60:
        return f"{seconds:.2f}s"
    return f"{seconds:.2f}s ({timedelta(seconds=int(seconds))})"


def _source_elsewhere(ctx: StepContext) -> bool:
    """coverage's `source` set in .coveragerc, setup.cfg or tox.ini: coverage knows it."""
    from qdev.project._legacy import cfg_get, read_setup_cfg

    for name, section in (
        (".coveragerc", "run"),
        ("setup.cfg", "coverage:run"),
        ("tox.ini", "coverage:run"),
    ):
        if cfg_get(read_setup_cfg(ctx.root / name), section, "source"):
            return True
    return False
