"""`qdev doctor`: healthy says so, and each finding catches its planted problem with its fix."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit

from qdev.__main__ import main
from qdev.doctor.checks import ordered
from qdev.doctor.checks.profile import Gitignore
from qdev.doctor.checks.repo import Hook
from qdev.doctor.context import build_context
from qdev.tools import git as git_tools
from qdev.tools import process

from .conftest import RunDoctor, ServeIndex

EVERY_ID = [diagnosis.id for diagnosis in ordered()]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def set_profile(repo: Path, table: str, **values: str) -> None:
    """Set `values` in a table of the repo's team profile.toml (the copy beside the repo)."""
    path = repo.parent / "profile" / "profile.toml"
    profile = tomlkit.parse(path.read_text())
    profile.setdefault(table, tomlkit.table()).update(values)
    path.write_text(tomlkit.dumps(profile))


def test_a_healthy_repo_is_reported_healthy(repo: Path, doctor: RunDoctor) -> None:
    done = doctor(repo)
    assert done.code == 0, done.findings
    assert done.report["healthy"] is True
    assert list(done.findings) == EVERY_ID
    assert {f["status"] for f in done.findings.values()} == {"ok"}, done.findings


def test_the_text_report_says_healthy_with_one_line_per_finding(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(repo / "src")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"qdev doctor: {repo}"
    for name in EVERY_ID:
        assert re.search(rf"^  ok +{re.escape(name)} ", out, re.MULTILINE), name
    summary = rf"^healthy: {len(EVERY_ID)} ok, 0 skipped \(\d+\.\d\d s\)$"
    assert re.search(summary, out, re.MULTILINE)


def test_the_hook_and_gitignore_findings_ask_git_for_the_work_tree_once(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Path] = []
    real = git_tools.toplevel

    def counted(path: Path) -> Path | None:
        asked.append(path)
        return real(path)

    monkeypatch.setattr(git_tools, "toplevel", counted)
    ctx = build_context(repo)
    assert (Hook().diagnose(ctx).status, Gitignore().diagnose(ctx).status) == ("ok", "ok")
    assert asked == [repo]


@pytest.mark.parametrize("tool", ["git", "uv"])
def test_a_tool_older_than_the_profiles_minimum(repo: Path, doctor: RunDoctor, tool: str) -> None:
    set_profile(repo, "requires", **{tool: "99.0"})
    done = doctor(repo)
    assert done.code == 1
    finding = done.findings[tool]
    assert finding["status"] == "problem"
    assert "older than the profile's minimum 99.0" in str(finding["what"])
    assert "99.0" in str(finding["fix"])
    assert finding["why"]


def test_uv_missing_where_qdev_uv_points(
    repo: Path, doctor: RunDoctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QDEV_UV", str(repo / "no-uv-here"))
    done = doctor(repo)
    assert done.findings["uv"]["status"] == "problem"
    assert "QDEV_UV" in str(done.findings["uv"]["what"])
    for needs_uv in ("python", "lock"):
        assert done.findings[needs_uv]["status"] == "skipped"
        assert "needs uv" in str(done.findings[needs_uv]["what"])


def test_no_qdev_on_path(repo: Path, doctor: RunDoctor, monkeypatch: pytest.MonkeyPatch) -> None:
    git_dir = str(Path(shutil.which("git") or "/usr/bin/git").parent)
    monkeypatch.setenv("PATH", git_dir)
    done = doctor(repo)
    finding = done.findings["qdev-path"]
    assert finding["status"] == "problem"
    assert str(finding["what"]).startswith("no qdev on PATH")
    assert f'export PATH="{Path(sys.executable).parent}:$PATH"' in str(finding["fix"])
    hook = done.findings["hook"]
    assert hook["status"] == "problem"
    assert "no qdev on PATH: commits fail" in str(hook["what"])
    assert hook["repairable"] is False


def test_another_qdev_first_on_path(
    repo: Path, tmp_path: Path, doctor: RunDoctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other-bin"
    other.mkdir()
    script = other / "qdev"
    script.write_text("#!/usr/bin/python3\nprint('qdev 0.0.1')\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", os.pathsep.join([str(other), os.environ["PATH"]]))
    done = doctor(repo)
    what = str(done.findings["qdev-path"]["what"])
    assert done.findings["qdev-path"]["status"] == "problem"
    assert f"the first qdev on PATH is {script} (qdev 0.0.1, run by /usr/bin/python3)" in what
    assert f"the hook runs `qdev check` with {script}" in str(done.findings["hook"]["what"])


def test_a_team_install_command_is_the_fix_when_the_profile_names_the_index(
    repo: Path, doctor: RunDoctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_profile(
        repo, "variables", qdev_requirement="qdev==0.1.0", qdev_index="file:///srv/team-index"
    )
    monkeypatch.setenv("PATH", str(Path(shutil.which("git") or "/usr/bin/git").parent))
    fix = str(doctor(repo).findings["qdev-path"]["fix"])
    assert fix.startswith("uv tool install --index qdev=file:///srv/team-index qdev==0.1.0")


def test_an_invalid_config_is_a_problem_and_skips_what_needs_it(
    repo: Path, doctor: RunDoctor
) -> None:
    config = repo / "qdev.toml"
    config.write_text(config.read_text() + "\n[check]\ncoverge = 90\n")
    done = doctor(repo)
    finding = done.findings["config"]
    assert finding["status"] == "problem"
    assert "coverge" in str(finding["what"])
    assert "coverage" in str(finding["what"])  # the suggestion
    for needs_config in ("python", "env", "lock", "profile"):
        assert done.status(needs_config) == "skipped"


def test_a_python_of_project_python_not_installed(repo: Path, doctor: RunDoctor) -> None:
    config = repo / "qdev.toml"
    config.write_text(config.read_text().replace('"3.12"]', '"3.12", "3.99"]'))
    finding = doctor(repo).findings["python"]
    assert finding["status"] == "problem"
    assert finding["what"] == "uv finds no Python 3.99 (project.python) on this machine"
    assert str(finding["fix"]).startswith("uv python install 3.99")


def _with_index(repo: Path, url: str) -> None:
    config = repo / "qdev.toml"
    config.write_text(config.read_text() + f'\n[env.indexes]\nteam-pypi = "{url}"\n')


def test_an_index_that_cannot_be_reached(repo: Path, doctor: RunDoctor) -> None:
    with socket.socket() as sock:  # a port nobody listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _with_index(repo, f"http://127.0.0.1:{port}/simple/")
    finding = doctor(repo).findings["index"]
    assert finding["status"] == "problem"
    assert "team-pypi (http://127.0.0.1:" in str(finding["what"])
    assert "cannot be reached" in str(finding["what"])
    assert "env.indexes.team-pypi (" in str(finding["fix"])


def test_index_credentials_found_where_uv_finds_them_and_never_printed(
    repo: Path,
    tmp_path: Path,
    doctor: RunDoctor,
    serve_index: ServeIndex,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "packages").mkdir()
    url = serve_index(tmp_path / "packages", ("quant", "pa55-word"), "update,download,list")
    _with_index(repo, f"{url}simple/")

    missing = doctor(repo).findings["index"]
    assert missing["status"] == "problem"
    assert "needs a login and no credentials were found" in str(missing["what"])
    assert "export UV_INDEX_TEAM_PYPI_USERNAME=... UV_INDEX_TEAM_PYPI_PASSWORD=..." in str(
        missing["fix"]
    )

    monkeypatch.setenv("UV_INDEX_TEAM_PYPI_USERNAME", "quant")
    monkeypatch.setenv("UV_INDEX_TEAM_PYPI_PASSWORD", "wrong")
    refused = doctor(repo)
    assert "refuses the credentials from UV_INDEX_TEAM_PYPI_USERNAME" in str(
        refused.findings["index"]["what"]
    )

    monkeypatch.setenv("UV_INDEX_TEAM_PYPI_PASSWORD", "pa55-word")
    accepted = doctor(repo)
    assert accepted.findings["index"]["status"] == "ok"
    assert "login from UV_INDEX_TEAM_PYPI_USERNAME" in str(accepted.findings["index"]["what"])
    assert "pa55-word" not in str(accepted.report) + accepted.err


def test_a_stale_environment_is_repaired_by_fix(repo: Path, doctor: RunDoctor) -> None:
    (repo / ".venv").unlink()  # the link to the template's environment
    found = doctor(repo)
    assert found.code == 1
    assert found.findings["env"]["status"] == "problem"
    assert found.findings["env"]["fix"] == "qdev env"
    assert found.findings["env"]["repairable"] is True

    fixed = doctor(repo, "--fix")
    assert fixed.findings["env"]["status"] == "ok"
    assert fixed.findings["env"]["fixed"] is True
    assert fixed.report["repaired"] == ["env"]
    assert fixed.code == 0, fixed.findings


def test_a_stale_lock(repo: Path, doctor: RunDoctor) -> None:
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))
    finding = doctor(repo).findings["lock"]
    assert finding["status"] == "problem"
    assert finding["what"] == "uv.lock does not match pyproject.toml"
    assert finding["fix"] == "uv lock   (then commit uv.lock)"
    assert finding["repairable"] is False


def test_a_missing_hook_is_installed_by_fix(repo: Path, doctor: RunDoctor) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.unlink()
    found = doctor(repo).findings["hook"]
    assert found["status"] == "problem"
    assert found["what"] == f"{hook} is missing: commits are not checked"
    fixed = doctor(repo, "--fix")
    assert fixed.findings["hook"]["fixed"] is True
    assert "File generated by pre-commit" in hook.read_text()


def test_a_hook_whose_interpreter_is_gone(repo: Path, doctor: RunDoctor) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    text = re.sub(
        r"^INSTALL_PYTHON=.*$", "INSTALL_PYTHON=/gone/python", hook.read_text(), flags=re.M
    )
    hook.write_text(text)
    finding = doctor(repo).findings["hook"]
    assert finding["status"] == "problem"
    assert "starts /gone/python, which is not there" in str(finding["what"])


def test_profile_drift_when_the_profile_renders_a_file_differently(
    repo: Path, doctor: RunDoctor
) -> None:
    template = repo.parent / "profile" / "templates" / "common" / "noxfile.py.tmpl"
    template.write_text(template.read_text() + "# the team's new line\n")
    finding = doctor(repo).findings["profile"]
    assert finding["status"] == "problem"
    # a folder profile edited in place: sync tells it as the render changing
    assert "drifted from profile default 1.0.0: noxfile.py (" in str(finding["what"])
    assert finding["fix"] == "qdev sync"


def test_gitignore_hiding_managed_files(repo: Path, doctor: RunDoctor) -> None:
    ignore = repo / ".gitignore"
    lines = ignore.read_text().splitlines()
    ignore.write_text("\n".join([*lines, "uv.lock", "noxfile.py"]) + "\n")
    finding = doctor(repo).findings["gitignore"]
    assert finding["status"] == "problem"
    assert f"uv.lock by `uv.lock` (.gitignore:{len(lines) + 1})" in str(finding["what"])
    assert f"noxfile.py by `noxfile.py` (.gitignore:{len(lines) + 2})" in str(finding["what"])


def test_a_half_done_release(repo: Path, doctor: RunDoctor) -> None:
    killed = process.run(
        [sys.executable, "-m", "qdev", "release", "patch", "--yes", "--no-push", "--skip-checks"],
        cwd=repo,
        env=process.child_env({"QDEV_RELEASE_FAIL_AT": "commit:kill-after"}),
        timeout=120,
    )
    assert killed.returncode != 0
    finding = doctor(repo).findings["release"]
    assert finding["status"] == "problem"
    assert str(finding["what"]).startswith("release 0.1.1 is half-done (not pushed): done ")
    assert str(finding["fix"]).startswith("qdev release --continue")


def test_a_damaged_release_journal_is_a_problem_with_how_to_recover(
    repo: Path, doctor: RunDoctor
) -> None:
    (repo / ".git" / "qdev-release.json").write_text('{"version": "0.1.1", "tag": "v0.1')
    finding = doctor(repo).findings["release"]
    assert finding["status"] == "problem"
    assert "is damaged: it is not valid JSON" in str(finding["what"])
    assert "rm -r" in str(finding["fix"])


def test_outside_a_repo_only_the_machine_is_diagnosed(tmp_path: Path, doctor: RunDoctor) -> None:
    done = doctor(tmp_path)
    assert done.report["root"] is None
    for name in ("config", "python", "env", "lock", "hook", "profile", "gitignore"):
        assert done.status(name) == "skipped", name
    assert done.status("git") == "ok"


def test_a_path_that_is_not_a_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err
