"""The runner on custom steps (plain Python commands): parallelism, dependencies, --fail-fast,
timeouts, the cache and findings, without a synced environment."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest

from qdev.check.api import CheckOptions, context, run_check, select
from qdev.check.model import CheckRun, Status
from qdev.check.runner import Schedule, run_steps
from qdev.config.models import CheckConfig, CustomStep, QdevConfig

from .check_helpers import git


def _python(code: str, **extra: Any) -> CustomStep:
    return CustomStep(run=[sys.executable, "-c", code], **extra)


def _config(**steps: CustomStep) -> QdevConfig:
    return QdevConfig(check=CheckConfig(steps=list(steps), custom=steps))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    (repo / "data" / "prices.csv").write_text("1,2,3\n")
    (repo / "README.md").write_text("# repo\n")
    git(repo, "init", "-q")
    git(repo, "add", "--all")
    return repo


def _run(root: Path, config: QdevConfig, **options: Any) -> CheckRun:
    # Custom steps need no tools from the environment; any folder stands in for .venv.
    return run_check(root, config, CheckOptions(venv=root / ".venv", **options))


def _by_id(run: CheckRun) -> dict[str, Any]:
    return {result.id: result for result in run.results}


def _rendezvous(me: str, other: str, folder: Path) -> CustomStep:
    """A step that says it started, then passes only if `other` starts while it still runs."""
    return _python(
        "import pathlib, sys, time\n"
        f"folder = pathlib.Path({str(folder)!r})\n"
        f"(folder / {me!r}).touch()\n"
        "deadline = time.monotonic() + 5\n"
        f"while not (folder / {other!r}).exists():\n"
        "    if time.monotonic() > deadline:\n"
        "        sys.exit(1)\n"
        "    time.sleep(0.01)\n"
    )


def test_independent_steps_run_at_the_same_time(root: Path, tmp_path: Path) -> None:
    together, alone = tmp_path / "together", tmp_path / "alone"
    together.mkdir()
    alone.mkdir()

    parallel = _run(
        root,
        _config(a=_rendezvous("a", "b", together), b=_rendezvous("b", "a", together)),
        jobs=2,
        use_cache=False,
    )
    serial = _run(
        root,
        _config(a=_rendezvous("a", "b", alone), b=_rendezvous("b", "a", alone)),
        jobs=1,
        use_cache=False,
    )

    assert parallel.ok
    assert not serial.ok  # with one job the first step never sees the second start


@pytest.mark.parametrize("chosen", [False, True])
def test_a_light_step_starts_beside_the_heavy_ones_unless_the_job_count_was_chosen(
    root: Path, tmp_path: Path, chosen: bool
) -> None:
    (root / ".qdev/cache").mkdir(parents=True)
    (root / ".qdev/cache/timings.json").write_text('{"heavy": 30.0, "light": 0.01}')
    config = _config(
        heavy=_rendezvous("heavy", "light", tmp_path), light=_rendezvous("light", "heavy", tmp_path)
    )
    options = CheckOptions(venv=root / ".venv", use_cache=False)

    with context(root, config, options) as ctx:
        steps = select(config, [], ctx)
        run = run_steps(ctx, steps, Schedule(1, use_cache=False, light_beside=not chosen))

    # one job: the light step meets the heavy one only when it may start beside it
    assert run.ok is not chosen


def test_a_step_waits_for_its_dependency_and_is_skipped_when_it_fails(root: Path) -> None:
    config = _config(
        build=_python("raise SystemExit(2)"),
        docs=_python("print('docs')", depends_on=["build"]),
    )

    run = _run(root, config)

    results = _by_id(run)
    assert results["build"].status is Status.FAILED
    assert results["docs"].status is Status.SKIPPED
    assert "needs build" in results["docs"].summary
    assert run.exit_code == 1


def test_naming_a_step_brings_its_dependencies_along(root: Path) -> None:
    config = _config(
        build=_python("open('built', 'w').write('ok')"),
        docs=_python("assert open('built').read() == 'ok'", depends_on=["build"]),
    )
    config.check.steps = ["build"]

    run = _run(root, config, steps=["docs"])

    assert [result.id for result in run.results] == ["docs", "build"]
    assert run.ok


def test_fail_fast_stops_the_running_steps(root: Path) -> None:
    config = _config(
        broken=_python("raise SystemExit(1)"), slow=_python("import time; time.sleep(30)")
    )

    started = time.monotonic()
    run = _run(root, config, jobs=2, fail_fast=True, use_cache=False)

    assert time.monotonic() - started < 5
    results = _by_id(run)
    assert results["broken"].status is Status.FAILED
    assert results["slow"].status is Status.SKIPPED
    assert "--fail-fast" in results["slow"].summary


def test_a_step_past_its_timeout_fails(root: Path) -> None:
    config = _config(hang=_python("import time; time.sleep(30)", timeout=0.5))

    run = _run(root, config)

    assert _by_id(run)["hang"].status is Status.FAILED
    assert "timed out after 0.5 s" in _by_id(run)["hang"].summary


def test_custom_step_output_with_file_and_line_becomes_findings(root: Path) -> None:
    code = "print('data/prices.csv:1: row has 3 columns, want 4'); raise SystemExit(1)"
    config = _config(columns=_python(code, cwd="data", env={"LC_ALL": "C"}))

    finding = _by_id(_run(root, config))["columns"].findings[0]

    assert (finding.path, finding.line, finding.message) == (
        "data/prices.csv",
        1,
        "row has 3 columns, want 4",
    )


def test_a_failed_custom_step_says_why_when_it_names_no_file(root: Path) -> None:
    code = (
        "import sys; print('=== docs build ==='); print('building 3 pages');"
        "print('error: theme quant-dark not found', file=sys.stderr); sys.exit(2)"
    )

    result = _by_id(_run(root, _config(docs=_python(code))))["docs"]

    assert result.summary.endswith("exited with 2: error: theme quant-dark not found")


def test_custom_step_runs_in_its_folder_with_its_environment(root: Path) -> None:
    code = "import os, pathlib; assert pathlib.Path.cwd().name == 'data', os.environ['MODE'] == 'x'"
    config = _config(where=_python(code, cwd="data", env={"MODE": "x"}))

    assert _run(root, config).ok


def test_cache_reruns_a_custom_step_only_when_its_inputs_change(root: Path) -> None:
    config = _config(csv=_python("print('ok')", inputs=["data/**"]))

    first = _by_id(_run(root, config))["csv"]
    after_readme = _by_id(_run(root, config))["csv"]
    (root / "README.md").write_text("# changed\n")
    after_other = _by_id(_run(root, config))["csv"]
    (root / "data" / "prices.csv").write_text("1,2,3,4\n")
    after_input = _by_id(_run(root, config))["csv"]

    assert [first.cached, after_readme.cached, after_other.cached, after_input.cached] == [
        False, True, True, False,
    ]  # fmt: skip


def test_changing_a_custom_step_definition_reruns_it(root: Path) -> None:
    _run(root, _config(csv=_python("print('ok')")))

    rerun = _by_id(_run(root, _config(csv=_python("print('ok' )"))))["csv"]

    assert not rerun.cached


def test_failures_are_cached_too_and_shown_as_cached(root: Path) -> None:
    config = _config(bad=_python("raise SystemExit(1)"))
    _run(root, config)

    again = _by_id(_run(root, config))["bad"]

    assert again.status is Status.FAILED
    assert again.cached


def test_a_dependency_cycle_is_a_clear_error(root: Path) -> None:
    from qdev.errors import QdevError

    # The configuration refuses a ring (config/models.py); the runner still guards against one.
    steps = {"a": _python("pass", depends_on=["b"]), "b": _python("pass", depends_on=["a"])}
    config = QdevConfig.model_construct(
        check=CheckConfig.model_construct(steps=list(steps), custom=steps)
    )

    with pytest.raises(QdevError, match="cycle"):
        _run(root, config)


def test_fail_fast_stops_at_a_cached_failure_too(root: Path) -> None:
    config = _config(bad=_python("raise SystemExit(1)"), other=_python("print('ran')"))
    _run(root, _config(bad=_python("raise SystemExit(1)")))

    run = _run(root, config, fail_fast=True)

    results = _by_id(run)
    assert results["bad"].cached
    assert results["other"].status is Status.SKIPPED
