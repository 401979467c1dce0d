"""The cache answers unchanged steps, reruns exactly the steps whose inputs changed, and
survives two runs at once."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from .check_helpers import QDEV, Ran, qdev

pytestmark = pytest.mark.e2e

STEPS = ("format", "lint", "typecheck", "test", "secrets", "lock")


def _cached(ran: Ran) -> dict[str, bool]:
    assert ran.code == 0, ran.stdout + ran.stderr
    return {name: step["cached"] for name, step in ran.steps().items()}


def test_a_second_run_is_answered_from_the_cache(repo: Path) -> None:
    first = qdev(repo, "check", *STEPS, "--format", "json")
    second = qdev(repo, "check", *STEPS, "--format", "json")

    assert not any(_cached(first).values())
    assert all(_cached(second).values())
    assert [s["status"] for s in second.steps().values()] == ["passed"] * len(STEPS)
    assert "(cached)" in qdev(repo, "check", *STEPS).stdout


def test_editing_one_file_reruns_exactly_the_steps_that_read_it(repo: Path) -> None:
    qdev(repo, "check", *STEPS)

    with (repo / "README.md").open("a") as handle:
        handle.write("\nMore words.\n")
    after_readme = _cached(qdev(repo, "check", *STEPS, "--format", "json"))
    with (repo / "src/quantlib/core.py").open("a") as handle:
        handle.write("\n\nSCALE = 2\n")
    after_code = _cached(qdev(repo, "check", *STEPS, "--format", "json"))

    # ruff formats the Python blocks of Markdown files, so format reads README.md too.
    assert after_readme == {name: name not in {"format", "secrets"} for name in STEPS}
    rerun = {"format", "lint", "typecheck", "test", "secrets"}
    assert after_code == {name: name not in rerun for name in STEPS}


def test_a_badly_formatted_code_block_in_markdown_is_never_answered_by_an_old_pass(
    repo: Path,
) -> None:
    assert qdev(repo, "check", "format").code == 0
    with (repo / "README.md").open("a") as handle:
        handle.write("\n```python\nVALUES = [1,2,    3]\n```\n")

    ran = qdev(repo, "check", "format", "--format", "json")

    assert ran.code == 1, ran.stdout
    assert ran.steps()["format"]["cached"] is False
    assert ran.steps()["format"]["findings"][0]["path"] == "README.md"


def test_a_config_change_reruns_the_step_it_configures(repo: Path) -> None:
    qdev(repo, "check", *STEPS)

    with (repo / "qdev.toml").open("a") as handle:
        handle.write("\n[check]\ncoverage = 50\n")
    cached = _cached(qdev(repo, "check", *STEPS, "--format", "json"))

    # The test step is configured by check.coverage; secrets scans qdev.toml like any tracked file.
    assert cached == {
        "format": True,
        "lint": True,
        "typecheck": True,
        "test": False,
        "secrets": False,
        "lock": True,
    }


def test_no_cache_runs_every_step(repo: Path) -> None:
    qdev(repo, "check", "format", "lint")

    ran = qdev(repo, "check", "format", "lint", "--no-cache", "--format", "json")

    assert _cached(ran) == {"format": False, "lint": False}


def test_two_runs_at_once_both_finish_with_correct_results(repo: Path) -> None:
    with (repo / "src/quantlib/core.py").open("a") as handle:
        handle.write("\n\ndef unused() -> None:\n    import os\n")
    argv = [*QDEV, "check", *STEPS, "--format", "json"]
    runs = [
        subprocess.Popen(argv, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]

    for run, (stdout, stderr) in zip(runs, outputs, strict=True):
        result = Ran(run.returncode, stdout, stderr)
        assert result.code == 1, stderr
        statuses = {name: step["status"] for name, step in result.steps().items()}
        assert statuses == {name: "failed" if name == "lint" else "passed" for name in STEPS}
    # The cache both wrote is whole and right: a third run answers everything from it.
    third = qdev(repo, "check", *STEPS, "--format", "json")
    assert third.code == 1
    assert all(step["cached"] for step in third.steps().values())
    assert third.steps()["lint"]["findings"][0]["code"] == "F401"
    assert not list((repo / ".qdev" / "cache" / "check").glob("*.tmp"))


def test_a_check_that_must_run_a_step_loads_the_config_once(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fast path loads the config and the fingerprint before it finds a step the cache
    cannot answer; the full run in the same process starts from them."""
    from qdev.__main__ import main
    from qdev.config import loader

    loads: list[object] = []
    real = loader.load_config

    def counted(*args: Any, **kwargs: Any) -> Any:
        loads.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "load_config", counted)
    monkeypatch.chdir(repo)

    code = main(["check", "lint"])

    assert code == 0, capsys.readouterr()
    assert "lint  passed" in capsys.readouterr().out
    assert len(loads) == 1


def test_a_user_who_asks_for_verbose_reports_gets_them_from_the_cache_too(
    repo: Path, tmp_path: Path
) -> None:
    qdev(repo, "check", "lint")
    (tmp_path / "home/qdev").mkdir(parents=True)
    (tmp_path / "home/qdev/config.toml").write_text("verbose = true\n")

    again = qdev(repo, "check", "lint", env={"XDG_CONFIG_HOME": str(tmp_path / "home")})

    assert again.code == 0, again.stdout + again.stderr
    assert "── lint: passed (cached) " in again.stdout  # the step's own output, shown
