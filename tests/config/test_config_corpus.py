"""Every malformed configuration gives exit 2, the file name, the line, the key, no traceback.

Each corpus file starts with two comments: `# expect-line: N` and `# expect: <text in the
message>`. The suffix of its name says where it goes: `.qdev.toml` as the repo's qdev.toml,
`.pyproject.toml` as its pyproject.toml, `.user.toml` as the user's own config file.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from qdev.tools import process

from .conftest import RunCli

CORPUS = Path(__file__).parent / "corpus"
ROLES = {
    ".qdev.toml": "qdev.toml",
    ".pyproject.toml": "pyproject.toml",
    ".user.toml": "config.toml",
}


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.toml"))


def expectations(path: Path) -> tuple[int, str]:
    head = path.read_bytes().split(b"\n")[:2]
    line = re.fullmatch(rb"# expect-line: (\d+)", head[0])
    text = re.fullmatch(rb"# expect: (.+)", head[1])
    assert line, f"{path.name} must start with a # expect-line: N comment"
    assert text, f"{path.name} must have a # expect: <message> comment on its second line"
    return int(line.group(1)), text.group(1).decode()


def place(case: Path, repo: Path, user_file: Path) -> str:
    """Put the corpus file where its role says; return the name a message shows for it."""
    role = next(role for suffix, role in ROLES.items() if case.name.endswith(suffix))
    if role == "config.toml":
        (repo / "qdev.toml").write_text("")
        user_file.parent.mkdir(parents=True, exist_ok=True)
        user_file.write_bytes(case.read_bytes())
        return str(user_file)
    (repo / role).write_bytes(case.read_bytes())
    return role


def assert_clean_failure(code: int, err: str, name: str, line: int | None, text: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    assert text in err
    assert (f"{name}:{line}:" if line else name) in err


def test_the_corpus_is_big_enough() -> None:
    assert len(corpus_files()) >= 25


@pytest.mark.parametrize("case", corpus_files(), ids=lambda path: path.name)
def test_malformed_file_is_exit_2_with_file_line_and_key(
    case: Path, repo: Path, user_file: Path, run_cli: RunCli
) -> None:
    line, text = expectations(case)
    name = place(case, repo, user_file)

    result = run_cli("config", "validate")

    assert_clean_failure(result.code, result.err, name, line, text)
    assert result.out == ""


@pytest.mark.parametrize("case", corpus_files()[::8], ids=lambda path: path.name)
def test_config_show_fails_the_same_way(
    case: Path, repo: Path, user_file: Path, run_cli: RunCli
) -> None:
    line, text = expectations(case)
    name = place(case, repo, user_file)

    result = run_cli("config", "show", "--sources")

    assert_clean_failure(result.code, result.err, name, line, text)


def test_all_problems_of_a_file_are_reported_together(
    repo: Path, user_file: Path, run_cli: RunCli
) -> None:
    place(CORPUS / "many-problems.qdev.toml", repo, user_file)

    result = run_cli("config", "validate")

    assert result.code == 2
    lines = [
        line.strip() for line in result.err.splitlines() if line.strip().startswith("qdev.toml:")
    ]
    assert len(lines) == 4
    assert "qdev.toml:4:1: project.kind" in lines[0]
    assert "qdev.toml:6:1: check.coverage: expected a number from 0 to 100, got -1" in lines[1]
    assert 'qdev.toml:7:1: check.jbos: unknown key "jbos"; did you mean "jobs"?' in lines[2]
    assert (
        'qdev.toml:9:1: ci.provider: expected one of "github", "gitlab", got "jenkins"' in lines[3]
    )


@pytest.mark.e2e
@pytest.mark.parametrize(
    "case",
    ["wrong-type-coverage-word.qdev.toml", "non-utf8.qdev.toml", "pyproject-typo.pyproject.toml"],
)
def test_malformed_file_through_a_real_process(case: str, repo: Path, user_file: Path) -> None:
    line, text = expectations(CORPUS / case)
    name = place(CORPUS / case, repo, user_file)

    result = process.run([sys.executable, "-m", "qdev", "config", "validate"], cwd=repo, timeout=60)

    assert_clean_failure(result.returncode, result.stderr, name, line, text)


# -- cases made at test time ---------------------------------------------------------------------


def test_ten_megabyte_file_is_refused_promptly(repo: Path, run_cli: RunCli) -> None:
    with (repo / "qdev.toml").open("w") as handle:
        handle.write("[check]\n")
        for index in range(450_000):
            handle.write(f"# padding line {index:08d}\n")
    assert (repo / "qdev.toml").stat().st_size > 10_000_000

    result = run_cli("config", "validate")

    assert_clean_failure(result.code, result.err, "qdev.toml", None, "configuration files over")
    assert "MB" in result.err


@pytest.mark.e2e
def test_ten_megabyte_file_through_a_real_process(repo: Path) -> None:
    (repo / "qdev.toml").write_bytes(b"# x\n" * 2_600_000)

    result = process.run([sys.executable, "-m", "qdev", "config", "show"], cwd=repo, timeout=60)

    assert_clean_failure(result.returncode, result.stderr, "qdev.toml", None, "refused")
    assert result.seconds < 10


def test_a_folder_where_the_file_should_be_is_unreadable(repo: Path, run_cli: RunCli) -> None:
    (repo / "qdev.toml").mkdir()

    result = run_cli("config", "validate")

    assert_clean_failure(result.code, result.err, "qdev.toml", None, "it is a folder, not a file")


def test_a_broken_symlink_is_unreadable(repo: Path, run_cli: RunCli) -> None:
    (repo / "qdev.toml").symlink_to(repo / "gone.toml")

    result = run_cli("config", "validate")

    assert_clean_failure(result.code, result.err, "qdev.toml", None, "broken symbolic link")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_unreadable(repo: Path, run_cli: RunCli) -> None:
    (repo / "qdev.toml").write_text("[check]\n")
    (repo / "qdev.toml").chmod(0)

    result = run_cli("config", "validate")

    assert_clean_failure(result.code, result.err, "qdev.toml", None, "permission denied")


def test_qdev_toml_and_tool_qdev_together_is_an_error_naming_both(
    repo: Path, run_cli: RunCli
) -> None:
    (repo / "qdev.toml").write_text("[check]\ncoverage = 90\n")
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.qdev]\n')

    result = run_cli("config", "validate")

    assert_clean_failure(
        result.code, result.err, "qdev.toml", None, "[tool.qdev] in pyproject.toml"
    )


def test_missing_builtin_profile_folder_is_clear(repo: Path, run_cli: RunCli) -> None:
    (repo / "qdev.toml").write_text('extends = { name = "quant-desk" }\n')

    result = run_cli("config", "show")

    assert_clean_failure(
        result.code, result.err, "qdev.toml", 1, 'no built-in profile "quant-desk"'
    )


def test_a_broken_profile_file_is_blamed_on_the_profile(repo: Path, run_cli: RunCli) -> None:
    profile = repo.parent / "team-profile"
    profile.mkdir()
    (profile / "qdev.toml").write_text("[check]\n\ncoverage = 'high'\n")
    (repo / "qdev.toml").write_text(
        'extends = { path = "../team-profile" }\n[check]\ncoverage = 90\n'
    )

    result = run_cli("config", "validate")

    assert_clean_failure(
        result.code, result.err, str(profile / "qdev.toml"), 3, "check.coverage: expected a number"
    )


def test_unknown_environment_variable_is_named(
    repo: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QDEV_CHECK__COVERGE", "85")

    result = run_cli("config", "show")

    assert result.code == 2
    assert "QDEV_CHECK__COVERGE" in result.err
    assert 'did you mean "coverage"?' in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_is_valid(content: str, repo: Path, run_cli: RunCli) -> None:
    (repo / "qdev.toml").write_text(content)

    result = run_cli("config", "validate")

    assert result.code == 0, result.err
    assert result.out.startswith("OK: qdev.toml")
