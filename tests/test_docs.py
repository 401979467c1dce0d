"""The README's commands and the docs stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from qdev.cli.app import COMMANDS
from qdev.errors import ExitCode

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    commands = re.findall(r"^python3 -m pip install --user uv && .*$", README, re.MULTILINE)
    assert len(commands) == 1
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert "set -euo pipefail" in ci_lines
    assert commands[0] in ci_lines
    assert "--cov-fail-under=90" in commands[0]
    assert "--locked" in commands[0]


def test_the_try_script_installs_qdev_and_does_its_main_job() -> None:
    script = (ROOT / "scripts" / "try-qdev.sh").read_text()
    assert "bash scripts/try-qdev.sh" in README
    assert "set -euo pipefail" in script
    assert "python3 -m pip install --user" in script
    assert '"$qdev" init "$demo" --kind library --yes' in script
    assert '"$qdev" check' in script
    assert 'demo="${1:-/tmp/qdev-demo}"' in script


def test_every_command_is_in_the_readme_table() -> None:
    for name in COMMANDS:
        assert f"| `qdev {name}" in README, name


def test_every_exit_code_is_documented() -> None:
    table = (ROOT / "docs" / "exit-codes.md").read_text()
    for code in ExitCode:
        assert re.search(rf"^\| {int(code)} \|", table, re.MULTILINE), code


def test_relative_links_in_the_docs_resolve() -> None:
    from qdev.reference import generated_pages

    generated = {ROOT / "docs" / path for path in generated_pages()}
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text()):
            path = (page.parent / target).resolve()
            assert path.exists() or path in generated, f"{page.name} links to missing {target}"
