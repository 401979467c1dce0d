"""How the test step spreads test files over workers, and how many cores a step is granted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qdev.check import cores, timings
from qdev.check.model import Finding, Status, StepResult
from qdev.check.steps import StepContext
from qdev.check.steps import test as test_step
from qdev.check.steps._pytest_worker import Share
from qdev.check.steps.test import _passed, in_test_order, one_process_only, plan, suite_files
from qdev.config import models
from qdev.config.models import CheckConfig, QdevConfig
from qdev.tools.process import ChildGroup, ProcessResult

STEP = test_step.Test()


def _ctx(root: Path, files: list[str], **check: object) -> StepContext:
    config = QdevConfig(check=CheckConfig.model_validate(check))
    return StepContext(root, root / ".venv", config, files, ChildGroup())


def _suite(count: int) -> list[str]:
    return [f"tests/test_{n:03d}.py" for n in range(count)]


def test_files_are_spread_biggest_first_onto_the_least_loaded_worker(tmp_path: Path) -> None:
    sizes = {"tests/test_a.py": 900, "tests/test_b.py": 500, "tests/test_c.py": 400}
    for path, size in sizes.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x" * size)

    workers = plan(list(sizes), 2, tmp_path)

    assert [w.files for w in workers] == [
        ["tests/test_a.py"],
        ["tests/test_b.py", "tests/test_c.py"],
    ]
    assert plan(list(sizes), 1, tmp_path)[0].files == list(sizes)


def test_every_file_belongs_to_exactly_one_worker_known_or_not(tmp_path: Path) -> None:
    known = {str(tmp_path / f"tests/test_{n}.py"): n % 3 for n in range(9)}
    shares = [Share(number, 3, known) for number in range(3)]
    unknown = [tmp_path / "generated" / f"test_gen_{n}.py" for n in range(20)]

    for path in [*map(Path, known), *unknown]:
        owners = [share for share in shares if not share.ignores(path)]
        assert len(owners) == 1, path
    assert {share.owner(str(p)) for share in shares for p in unknown} == {0, 1, 2}


def test_conftest_init_and_folders_are_collected_by_every_worker(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    share = Share(1, 2, {str(tmp_path / "tests" / "conftest.py"): 0})

    assert not share.ignores(tmp_path / "tests" / "conftest.py")
    assert not share.ignores(tmp_path / "tests" / "__init__.py")
    assert not share.ignores(tmp_path / "tests")


def test_a_worker_reads_its_share_from_the_plan_file(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps({"/r/tests/test_a.py": 1}))

    share = Share.parse("1/2", str(plan_file))

    assert (share.worker, share.workers) == (1, 2)
    assert not share.ignores(Path("/r/tests/test_a.py"))


@pytest.mark.parametrize(
    ("args", "one"),
    [
        ([], False),
        (["-ra", "--strict-markers", "-rfE", "-k", "not slow", "-m", "fast"], False),
        (["-x"], True),
        (["-vx"], True),
        (["-n", "4"], True),
        (["-nauto"], True),
        (["--maxfail=2"], True),
        (["--junitxml", "out.xml"], True),
        (["--lf"], True),
        (["-p", "no:randomly"], False),
        (["-kx_and_y"], False),  # -k takes a value: its x is no option
    ],
)
def test_options_for_one_process_over_the_suite_keep_it_in_one(args: list[str], one: bool) -> None:
    assert one_process_only(args) is one


def test_workers_are_the_granted_cores_for_a_big_suite_and_one_for_a_small(
    tmp_path: Path,
) -> None:
    big, small = _suite(200), _suite(5)
    ctx = _ctx(tmp_path, big)
    ctx.cores["test"] = 2

    assert STEP.workers(ctx, big) == 2
    assert STEP.workers(ctx, small) == 1
    ctx.cores["test"] = 1
    assert STEP.workers(ctx, big) == 1


def test_the_last_run_s_cpu_time_decides_whether_workers_are_worth_it(tmp_path: Path) -> None:
    suite = _suite(200)
    ctx = _ctx(tmp_path, suite)
    ctx.cores["test"] = 4

    ctx.expected_cpu["test"] = 0.5  # a quick suite: a second process costs more than it saves
    assert STEP.workers(ctx, suite) == 1
    ctx.expected_cpu["test"] = 2.5
    assert STEP.workers(ctx, suite) == 2
    ctx.expected_cpu["test"] = 60.0
    assert STEP.workers(ctx, suite) == 4


def test_the_configured_count_wins_unless_the_options_need_one_process(tmp_path: Path) -> None:
    suite = _suite(3)
    ctx = _ctx(tmp_path, suite, test=models.TestOptions(workers=2))
    assert STEP.workers(ctx, suite) == 2

    ctx = _ctx(tmp_path, suite, test=models.TestOptions(workers=8))
    assert STEP.workers(ctx, suite) == 3  # never more workers than files

    ctx = _ctx(tmp_path, suite, test=models.TestOptions(workers=2, args=["-x"]))
    assert STEP.workers(ctx, suite) == 1


def test_addopts_asking_for_xdist_keep_the_suite_in_one_pytest(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "-ra -n 4"\n', encoding="utf-8"
    )
    suite = _suite(3)
    ctx = _ctx(tmp_path, suite, test=models.TestOptions(workers=2))

    assert STEP.workers(ctx, suite) == 1


def test_the_suite_is_what_pytest_s_settings_would_collect(tmp_path: Path) -> None:
    files = [
        "tests/test_a.py", "tests/unit/b_test.py", "tests/helpers.py", "tests/conftest.py",
        "src/pkg/test_in_src.py", "checks/check_c.py", "README.md",
    ]  # fmt: skip
    assert suite_files(_ctx(tmp_path, files)) == [
        "tests/test_a.py", "tests/unit/b_test.py", "src/pkg/test_in_src.py",
    ]  # fmt: skip

    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["tests", "checks"]\n'
        'python_files = ["test_*.py", "check_*.py"]\n',
        encoding="utf-8",
    )
    assert suite_files(_ctx(tmp_path, files)) == ["tests/test_a.py", "checks/check_c.py"]

    (tmp_path / "pytest.ini").write_text("[pytest]\npython_files = *_test.py\n")
    assert suite_files(_ctx(tmp_path, files)) == ["tests/unit/b_test.py"]


def _ran(stdout: str, seconds: float = 1.0) -> ProcessResult:
    return ProcessResult(("pytest",), 0, stdout, "", seconds)


def test_the_workers_closing_lines_add_up_as_pytest_would_write_one() -> None:
    runs = [
        _ran("...\n===== 1 failed, 299 passed, 1 warning in 2.10s =====\n", 2.5),
        _ran("...\n===== 300 passed, 2 skipped, 1 warning, 1 error in 1.90s =====\n", 2.2),
    ]

    assert _passed(runs) == "1 failed, 599 passed, 2 skipped, 2 warnings, 1 error in 2.50s"
    assert _passed([_ran("== 3 passed in 0.10s ==\n")]) == "3 passed in 0.10s"
    assert _passed([runs[0], _ran("== 2 passed in 61.00s ==", 75.3)]).endswith(
        "in 75.30s (0:01:15)"
    )


def test_findings_of_several_workers_come_in_the_order_pytest_walks_the_files() -> None:
    found = [
        Finding("b1", "tests/test_b.py", 3),
        Finding("sub", "tests/sub/test_z.py", 1),
        Finding("a", "tests/test_a.py", 9),
        Finding("b0", "tests/test_b.py", 1),
    ]

    ordered = [f.message for f in in_test_order(found)]

    assert ordered == ["sub", "a", "b1", "b0"]  # a file's own findings keep their order


def test_a_step_gets_every_core_unless_another_step_outlasts_it() -> None:
    history = {"test": 8.0, "typecheck": 3.0, "docs": 20.0}

    assert cores.grant("test", ["typecheck", "lint"], 2, history, jobs=4) == 2
    assert cores.grant("test", ["typecheck", "docs"], 2, history, jobs=4) == 1
    # on 8 cores the tests take about a second: both others outlast them
    assert cores.grant("test", ["typecheck", "docs"], 8, history, jobs=4) == 6
    assert cores.grant("test", ["docs"], 2, history, jobs=1) == 2  # never beside it
    assert cores.grant("test", ["docs"], 2, {}, jobs=4) == 2  # never timed: taken as short


def test_a_serial_step_nearly_as_long_as_the_tests_keeps_its_core() -> None:
    # three processes on two cores: mypy slowed while the workers run, then alone at the end
    nearly = {"test": 3.0, "typecheck": 2.5}
    much_shorter = {"test": 3.0, "typecheck": 2.0}

    assert cores.grant("test", ["typecheck"], 2, nearly, jobs=4) == 1
    assert cores.grant("test", ["typecheck"], 2, much_shorter, jobs=4) == 2


def test_a_container_s_cpu_quota_caps_the_cores(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cores.cgroup_quota(tmp_path) == 2
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cores.cgroup_quota(tmp_path) is None
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cores.cgroup_quota(tmp_path) == 1
    assert cores.available(tmp_path) == 1
    assert cores.available(tmp_path / "none") >= 1


def test_timings_keep_the_cpu_time_of_steps_that_ran_not_of_cached_ones(tmp_path: Path) -> None:
    ran = StepResult("test", Status.PASSED, "ok", 3.0, cpu_seconds=5.25)
    cached = StepResult("lint", Status.PASSED, "ok", 0.1, cached=True, cpu_seconds=0.2)

    timings.record(tmp_path, [ran, cached])
    timings.record(tmp_path, [StepResult("typecheck", Status.FAILED, "x", cpu_seconds=2.0)])

    assert timings.load(tmp_path) == {"test": 5.25, "typecheck": 2.0}
    assert (tmp_path / ".qdev" / "cache" / ".gitignore").is_file()  # git never sees them
    (tmp_path / timings.FILE).write_text("not json")
    assert timings.load(tmp_path) == {}


def test_a_tool_without_its_own_cache_is_expected_to_take_as_long_as_it_did_cold(
    tmp_path: Path,
) -> None:
    def typecheck(cpu: float) -> StepResult:
        return StepResult("typecheck", Status.PASSED, "ok", cpu_seconds=cpu)

    timings.record(tmp_path, [typecheck(3.0)], cold=["typecheck"])  # mypy's first run
    timings.record(tmp_path, [typecheck(0.4)])  # incremental, from its cache

    assert timings.load(tmp_path)["typecheck"] == 0.4
    assert timings.load(tmp_path, cold=["typecheck"])["typecheck"] == 3.0
    assert timings.load(tmp_path, cold=["lint"]) == {"typecheck": 0.4}  # no cold run known
