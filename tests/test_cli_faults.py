"""Issue 9's CLI-wide faults, tried on every command the app has (so new commands are covered):
a deleted working folder, global options after the command, help types, bad choices, and
credentials in what the CLI prints."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from qdev import output
from qdev.__main__ import main
from qdev.cli import _click_tree
from qdev.cli import app as cli_app
from qdev.errors import UsageError

PY = sys.executable
SECRET = "https://alice:s3cret@pypi.internal/simple"


def tree() -> list[tuple[tuple[str, ...], Any]]:
    command = cli_app.cli_command(cli_app.build_app())
    return [(words, sub) for words, sub, _ in _click_tree.walk(command)]


def leaf_commands() -> list[tuple[str, ...]]:
    return [words for words, command in tree() if words and not hasattr(command, "commands")]


def subcommands() -> list[tuple[str, ...]]:
    return [words for words, _ in tree() if words]


def test_the_tree_has_the_commands_these_tests_go_through() -> None:
    top = {words[0] for words in subcommands()}
    assert {"config", "check", "release", "init", "env"} <= top
    assert ("config", "show") in leaf_commands()


# --- a deleted working folder ---------------------------------------------------------------


@pytest.fixture
def deleted_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    return gone


@pytest.mark.parametrize("words", leaf_commands(), ids=" ".join)
def test_every_command_run_from_a_deleted_folder_is_exit_2_with_the_fix(
    words: tuple[str, ...], deleted_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*words])

    err = capsys.readouterr().err
    assert code == 2, err
    assert "qdev: error: the current folder no longer exists" in err
    assert "fix: cd into an existing folder" in err
    assert "internal error" not in err


def test_help_and_version_still_work_from_a_deleted_folder(
    deleted_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--version"]) == 0
    assert main(["check", "--help"]) == 0
    assert main(["-q", "check", "-v", "--help"]) == 0
    assert "Usage: qdev check" in capsys.readouterr().out


@pytest.mark.e2e
@pytest.mark.parametrize("args", [["check"], ["check", "-v", "lint"], ["config", "show"]])
def test_a_real_process_in_a_deleted_folder_exits_2(args: list[str], tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    script = (
        "import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]);"
        "from qdev.__main__ import main; sys.exit(main(sys.argv[2:]))"
    )
    done = subprocess.run(
        [PY, "-c", script, str(gone), *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("qdev: error: the current folder no longer exists")
    assert "Traceback" not in done.stderr


# --- global options after the command -------------------------------------------------------


@pytest.mark.parametrize("words", subcommands(), ids=" ".join)
def test_global_options_are_taken_after_every_command(
    words: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    # --help makes click stop after parsing: a rejected option would be exit 2 instead
    assert cli_app.run([*words, "-v", "-q", "--no-color", "--help"]) == 0
    assert f"Usage: qdev {' '.join(words)}" in capsys.readouterr().out


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[], None]], None]]:
    """A `probe` command (and `group probe`) that runs the function given."""
    holder: list[Callable[[], None]] = []
    build = cli_app.build_app

    def build_with_probe() -> typer.Typer:
        app = build()
        group = typer.Typer()

        @app.command("probe")
        @group.command("probe")
        def run_probe() -> None:
            holder[0]()

        app.add_typer(group, name="group")
        return app

    monkeypatch.setattr(cli_app, "build_app", build_with_probe)
    yield holder.append
    output.SETTINGS.reset()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["probe", "-v", "-q", "--no-color"], (1, True, False)),
        (["probe", "--verbose"], (1, False, None)),
        (["probe", "--quiet"], (0, True, None)),
        (["-q", "probe", "-v"], (1, True, None)),
        (["group", "-v", "probe", "--no-color"], (1, False, False)),
        (["group", "probe", "-q"], (0, True, None)),
        (["probe"], (0, False, None)),
    ],
)
def test_global_options_after_the_command_reach_the_output_settings(
    args: list[str],
    expected: tuple[int, bool, bool | None],
    probe: Callable[[Callable[[], None]], None],
) -> None:
    seen: list[tuple[int, bool, bool | None]] = []
    probe(
        lambda: seen.append((output.SETTINGS.verbose, output.SETTINGS.quiet, output.SETTINGS.color))
    )

    assert cli_app.run(args) == 0
    assert seen == [expected]


def test_verbose_after_the_command_prints_the_traceback_of_a_bug(
    probe: Callable[[Callable[[], None]], None], capsys: pytest.CaptureFixture[str]
) -> None:
    def bug() -> None:
        raise RuntimeError("boom")

    probe(bug)
    assert cli_app.run(["probe", "-v"]) == 70
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_help_with_options_after_the_command_imports_no_pydantic() -> None:
    script = (
        "import sys; from qdev.__main__ import main\n"
        "assert main(['check', '-v', '--help']) == 0\n"
        "assert main(['config', 'show', '-q', '--no-color', '-h']) == 0\n"
        "print(*sorted({m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run([PY, "-c", script], capture_output=True, text=True, check=True)
    assert not set(done.stdout.splitlines()[-1].split()) & {"pydantic", "git"}


# --- help in plain words --------------------------------------------------------------------

TYPER_TYPE = re.compile(r"<[a-z][a-z \[\]|]*>")


@pytest.mark.parametrize("words", [(), *subcommands()], ids=lambda w: " ".join(w) or "qdev")
def test_help_shows_no_typer_type_names(
    words: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert cli_app.run([*words, "--help"]) == 0

    text = capsys.readouterr().out
    assert not TYPER_TYPE.findall(text), text
    assert "Show this message and exit." in text


def test_help_shows_flags_bare_and_values_by_kind(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    cli_app.run(["check", "--help"])
    rows = {
        line.split()[1]: line for line in capsys.readouterr().out.splitlines() if "│ --" in line
    }

    assert re.search(r"--fail-fast\s+Stop at the first", rows["--fail-fast"])
    assert "[text|json|junit|github]" in rows["--format"]
    assert "INTEGER" in rows["--jobs"]
    assert "PATH" in rows["--output"]
    assert re.search(r"--verbose\s+-v\s+More detail", rows["--verbose"])


# --- a bad choice names the allowed values --------------------------------------------------


def choice_options() -> list[tuple[tuple[str, ...], str, list[str]]]:
    found = []
    for words, command in tree():
        for param in command.params:
            choices = _click_tree.choices_of(param)
            if choices and getattr(param, "opts", None) and param.opts[0].startswith("-"):
                found.append((words, param.opts[0], choices))
    return found


def test_there_are_choice_options_to_try() -> None:
    assert (("check",), "--format", ["text", "json", "junit", "github"]) in choice_options()


@pytest.mark.parametrize(
    ("words", "option", "choices"), choice_options(), ids=lambda v: str(v).replace(" ", "")
)
def test_an_invalid_choice_names_every_allowed_value_in_plain_words(
    words: tuple[str, ...],
    option: str,
    choices: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli_app.run([*words, option, "xml"])

    err = capsys.readouterr().err
    assert code == 2
    assert "Value error" not in err
    allowed = f"{', '.join(choices[:-1])} or {choices[-1]}"
    assert f"'xml' is not allowed; choose {allowed}" in err


def test_a_value_of_another_kind_loses_the_pydantic_prefix_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_app.run(["check", "--jobs", "many"]) == 2
    err = capsys.readouterr().err
    assert "Invalid value for '--jobs' / '-j'" in err
    assert "Value error" not in err


# --- credentials in what the CLI prints ------------------------------------------------------


def test_a_usage_error_from_click_masks_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_app.run(["check", "--format", SECRET]) == 2
    err = capsys.readouterr().err
    assert "s3cret" not in err
    assert "https://***@pypi.internal/simple" in err


@pytest.mark.parametrize(
    "raised",
    [UsageError(f"no index at {SECRET}", fix=f"try {SECRET}"), RuntimeError(f"bug at {SECRET}")],
)
def test_what_a_command_raises_is_masked_whatever_it_is(
    raised: Exception,
    probe: Callable[[Callable[[], None]], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    def fail() -> None:
        raise raised

    probe(fail)
    assert cli_app.run(["-v", "probe"]) in (2, 70)
    err = capsys.readouterr().err
    assert "s3cret" not in err
    assert "https://***@pypi.internal/simple" in err


def test_status_lines_and_warnings_mask_credentials(
    probe: Callable[[Callable[[], None]], None], capsys: pytest.CaptureFixture[str]
) -> None:
    def report() -> None:
        output.info(f"syncing from {SECRET}")
        output.detail(f"index {SECRET}")
        output.warn(f"{SECRET} is slow")

    probe(report)
    assert cli_app.run(["probe", "-v"]) == 0
    err = capsys.readouterr().err
    assert "s3cret" not in err
    assert err.count("https://***@pypi.internal/simple") == 3
