"""`qdev env` registers a research repo's .venv as a Jupyter kernel; --remove-kernel removes it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qdev.tools import process

from .helpers import qdev

pytestmark = pytest.mark.e2e


def kernelspecs(repo: Path) -> dict[str, dict[str, object]]:
    listed = process.run([str(repo / ".venv" / "bin" / "jupyter"), "kernelspec", "list", "--json"])
    assert listed.ok, listed.output
    specs: dict[str, dict[str, object]] = json.loads(listed.stdout)["kernelspecs"]
    return specs


def test_env_registers_the_kernel_pointing_at_venv_idempotently_and_removes_it(
    research_repo: Path, isolated_env: Path
) -> None:
    first = qdev(research_repo, "env")
    assert first.code == 0, first.output
    assert "Jupyter kernel alpha-research (registered)" in first.stdout

    listed = process.run([str(research_repo / ".venv" / "bin" / "jupyter"), "kernelspec", "list"])
    line = next(ln for ln in listed.stdout.splitlines() if ln.split()[:1] == ["alpha-research"])
    folder = Path(line.split()[1])
    assert folder.is_relative_to(isolated_env / "data" / "jupyter" / "kernels")
    spec = json.loads((folder / "kernel.json").read_text())
    assert spec["argv"][0] == str(research_repo / ".venv" / "bin" / "python")
    assert spec["display_name"] == "alpha-research (.venv)"

    second = qdev(research_repo, "env", "--json")
    assert second.code == 0, second.output
    assert second.json()["kernel"] == "alpha-research (already registered)"
    assert spec == json.loads((folder / "kernel.json").read_text())

    removed = qdev(research_repo, "env", "--remove-kernel")
    assert removed.code == 0, removed.output
    assert "removed the Jupyter kernel alpha-research" in removed.stdout
    assert "alpha-research" not in kernelspecs(research_repo)
    again = qdev(research_repo, "env", "--remove-kernel")
    assert again.code == 0
    assert "no Jupyter kernel named alpha-research is registered" in again.stdout


def test_a_kernel_of_the_same_name_for_another_checkout_is_replaced_but_never_removed(
    research_repo: Path, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere"
    shutil.copytree(research_repo, other, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    process.run([process.find_uv(), "sync", "--frozen", "--quiet"], cwd=other)
    assert qdev(other, "env").code == 0

    refused = qdev(research_repo, "env", "--remove-kernel")
    assert refused.code == 4
    assert f"runs {other / '.venv' / 'bin' / 'python'}" in refused.stderr
    assert "alpha-research" in kernelspecs(research_repo)

    taken = qdev(research_repo, "env")
    assert taken.code == 0, taken.output
    assert f"it replaced one that ran {other / '.venv' / 'bin' / 'python'}" in taken.stdout
    argv = kernelspecs(research_repo)["alpha-research"]["spec"]
    assert isinstance(argv, dict)
    assert argv["argv"][0] == str(research_repo / ".venv" / "bin" / "python")

    # With its .venv gone, the kernel is still removed, by the Jupyter on PATH.
    shutil.rmtree(research_repo / ".venv")
    removed = qdev(research_repo, "env", "--remove-kernel", "--json")
    assert removed.code == 0, removed.output
    assert removed.json() == {"kernel": "removed the Jupyter kernel alpha-research"}
    assert "alpha-research" not in kernelspecs(other)


def test_a_research_repo_can_opt_out_and_other_kinds_get_no_kernel(research_repo: Path) -> None:
    config = research_repo / "qdev.toml"
    config.write_text(config.read_text() + "\n[research]\nkernel = false\n")
    ran = qdev(research_repo, "env", "--json")
    assert ran.code == 0, ran.output
    assert ran.json()["kernel"] is None
    assert "alpha-research" not in kernelspecs(research_repo)


def test_without_ipykernel_the_kernel_is_not_registered_and_env_says_why(tmp_path: Path) -> None:
    from qdev.config.models import QdevConfig
    from qdev.research import kernel

    made = process.run([process.find_uv(), "venv", "--quiet", str(tmp_path / ".venv")])
    assert made.ok, made.output
    config = QdevConfig.model_validate({"project": {"name": "bare", "kind": "research"}})
    said = kernel.register_if_wanted(tmp_path, config)
    assert (
        said == "not registered: ipykernel is not in .venv (uv add --dev ipykernel, then qdev env)"
    )
    library = QdevConfig.model_validate({"project": {"name": "bare", "kind": "library"}})
    assert kernel.register_if_wanted(tmp_path, library) is None
