"""`qdev check notebooks` and the size guard in a repo made by `qdev init --kind research`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from .helpers import edit_cell, git, notebook, qdev, write_notebook

pytestmark = pytest.mark.e2e

EXPLORE = Path("notebooks") / "explore.ipynb"


def steps(ran_stdout: str) -> dict[str, dict[str, Any]]:
    return {step["id"]: step for step in json.loads(ran_stdout)["steps"]}


def test_the_example_notebook_passes_then_is_cached_and_a_planted_error_fails_with_its_cell(
    research_repo: Path,
) -> None:
    first = qdev(research_repo, "check", "notebooks", "--format", "json", env={"CI": ""})
    assert first.code == 0, first.output
    step = steps(first.stdout)["notebooks"]
    assert (step["status"], step["cached"]) == ("passed", False)
    assert step["summary"] == "1 notebook ran (3 code cells)"

    second = qdev(research_repo, "check", "notebooks", "--format", "json", env={"CI": ""})
    assert steps(second.stdout)["notebooks"]["cached"] is True

    edit_cell(
        research_repo / EXPLORE,
        "2",
        "from alpha_research.core import simple_returns\n\n"
        "returns = simple_returns([0.0, *prices])",
    )
    failed = qdev(research_repo, "check", "notebooks", env={"CI": ""})
    assert failed.code == 1, failed.output
    text = failed.stdout
    assert f"{EXPLORE}:" in text
    assert "cell 3 raised ValueError: prices must be positive" in text
    assert "    returns = simple_returns([0.0, *prices])" in text  # the cell's source
    assert "----> 3 returns = simple_returns([0.0, *prices])" in text  # its traceback...
    assert "src/alpha_research/core.py" in text  # ...into the repo's code it called
    assert 'raise ValueError("prices must be positive")' in text

    as_json = qdev(research_repo, "check", "notebooks", "--format", "json", env={"CI": ""})
    finding = steps(as_json.stdout)["notebooks"]["findings"][0]
    assert finding["path"] == str(EXPLORE)
    notebook_lines = (research_repo / EXPLORE).read_text().splitlines()
    assert notebook_lines[finding["line"] - 1].strip() == '"id": "2",'  # annotations land on it


def test_parameters_come_from_config_and_ci_parameters_replace_them_in_ci(
    research_repo: Path,
) -> None:
    write_notebook(
        research_repo / "notebooks" / "window.ipynb",
        notebook(
            "import sys\nprint(sys.executable)\nassert (start, end) == EXPECTED, (start, end)",
            parameters='start = "2020-01-01"\nend = "2025-12-31"\nEXPECTED = ("x", "y")',
        ),
    )
    config = research_repo / "qdev.toml"
    text = config.read_text()
    text = text.replace(
        "\nparameters = {}", '\nparameters = {EXPECTED = ["2020-01-01", "2025-12-31"]}'
    )
    config.write_text(text)
    edit_cell(
        research_repo / "notebooks" / "window.ipynb",
        "c1",
        "assert [start, end] == list(EXPECTED), (start, end, EXPECTED)",
    )
    local = qdev(research_repo, "check", "notebooks", env={"CI": ""})
    assert local.code == 0, local.output

    ci_text = text.replace(
        "ci_parameters = {}",
        'ci_parameters = {start = "2025-06-01", EXPECTED = ["2025-06-01", "2025-12-31"]}',
    )
    assert ci_text != text
    config.write_text(ci_text)
    in_ci = qdev(research_repo, "check", "notebooks", env={"CI": "true"})
    assert in_ci.code == 0, in_ci.output
    assert "from cache" not in in_ci.stdout
    # ci_parameters do not touch a local run: its cached result still holds.
    local_again = qdev(research_repo, "check", "notebooks", env={"CI": ""})
    assert local_again.code == 0, local_again.output
    assert "1 from cache" in local_again.stdout


def test_a_cell_over_the_timeout_fails_and_names_the_limit(research_repo: Path) -> None:
    write_notebook(
        research_repo / "notebooks" / "slow.ipynb",
        notebook("x = 1", "import time\ntime.sleep(30)"),
    )
    config = research_repo / "qdev.toml"
    config.write_text(config.read_text().replace("cell_timeout = 600", "cell_timeout = 2"))
    ran = qdev(research_repo, "check", "notebooks")
    assert ran.code == 1, ran.output
    assert "notebooks/slow.ipynb" in ran.stdout
    assert "cell 2 did not finish within check.notebooks.cell_timeout" in ran.stdout


def test_a_committed_notebook_with_outputs_fails_the_check(research_repo: Path) -> None:
    path = research_repo / EXPLORE
    data = json.loads(path.read_text())
    cell = next(c for c in data["cells"] if c.get("id") == "2")
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["pnl 1234\n"]}]
    cell["execution_count"] = 2
    path.write_text(json.dumps(data, indent=1) + "\n")
    # Outputs only in the working tree (a notebook just run in Jupyter) are fine.
    assert qdev(research_repo, "check", "notebooks").code == 0

    git(research_repo, "commit", "--no-verify", "-qam", "explore, with outputs")
    ran = qdev(research_repo, "check", "notebooks")

    assert ran.code == 1, ran.output
    assert f"{EXPLORE}:" in ran.stdout
    assert "cell 3 has outputs in git" in ran.stdout
    assert "1 with outputs in git" in ran.stdout


def test_the_hook_refuses_a_file_over_the_size_limit_and_accepts_it_in_data(
    research_repo: Path,
) -> None:
    assert qdev(research_repo, "env").code == 0  # the git hook
    big = os.urandom(1024 * 1024 + 1)
    (research_repo / "prices.parquet").write_bytes(big)
    git(research_repo, "add", "prices.parquet")

    refused = git(research_repo, "commit", "-m", "add prices", ok=False)

    assert not refused.ok
    assert "refuse large files" in refused.output
    assert "prices.parquet: 1.0 MiB is over the 1.0 MiB limit (check.filesize.max_kb)" in (
        refused.output
    )
    assert git(research_repo, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    git(research_repo, "rm", "-q", "--cached", "prices.parquet")
    (research_repo / "prices.parquet").rename(research_repo / "data" / "prices.parquet")
    (research_repo / "notes.md").write_text("# notes\n")
    git(research_repo, "add", "--all")
    accepted = git(research_repo, "commit", "-m", "notes", ok=False)
    assert accepted.ok, accepted.output
    assert git(research_repo, "ls-files", "data").stdout.split() == ["data/README.md"]
