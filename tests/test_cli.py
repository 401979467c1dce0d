"""The CLI shell: version, help and its cache, global options, colour, usage errors, signals."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qdev import __version__, helpcache, output
from qdev.__main__ import main
from qdev.cli import app as cli_app

PY = sys.executable
SRC = Path(__file__).resolve().parents[1] / "src"
ANSI = "\x1b["
HEAVY = {"pydantic", "git", "typer", "rich", "click"}

# Runs qdev's entry point, then lists the top-level packages that got imported, on stderr.
PROBE = (
    "import sys; from qdev.__main__ import main; code = main(sys.argv[1:]);"
    " print('MODULES', *sorted({m.split('.')[0] for m in sys.modules}), file=sys.stderr);"
    " sys.exit(code)"
)


def qdev(
    *args: str, pythonpath: Path | None = None, env: dict[str, str] | None = None, **more: str
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {}), **more}
    if pythonpath is not None:
        full_env["PYTHONPATH"] = str(pythonpath)
        # A copy of qdev is not qdev's source: keep it out of the coverage data.
        for name in [name for name in full_env if name.startswith("COVERAGE_PROCESS")]:
            del full_env[name]
    return subprocess.run(
        [PY, "-c", PROBE, *args], capture_output=True, text=True, env=full_env, check=False
    )


def imported(done: subprocess.CompletedProcess[str]) -> set[str]:
    line = done.stderr.splitlines()[-1]
    assert line.startswith("MODULES ")
    return set(line.split()[1:])


def help_entries() -> list[Path]:
    return sorted(Path(helpcache.cache_dir()).glob("*.txt"))


# --- version and start-up ------------------------------------------------------------------


def test_version_is_answered_without_any_heavy_import() -> None:
    for flag in ("--version", "-V"):
        done = qdev(flag)
        assert done.returncode == 0
        assert done.stdout == f"qdev {__version__}\n"
        assert not imported(done) & HEAVY


def test_help_never_imports_pydantic_or_gitpython_and_cached_help_not_even_typer(
    tmp_path: Path,
) -> None:
    # A copy of the package, so that others editing this checkout cannot change the key.
    src = copy_of_qdev(tmp_path)
    first = qdev("--help", pythonpath=src)
    assert first.returncode == 0
    assert "Usage: qdev" in first.stdout
    assert "typer" in imported(first)  # rendered by typer the first time...
    assert "rich" in imported(first)
    assert not imported(first) & {"pydantic", "git"}
    second = qdev("--help", pythonpath=src)
    assert second.stdout == first.stdout
    assert not imported(second) & HEAVY  # ...and from the cache afterwards
    sub_first, sub_second = (
        qdev("config", "--help", pythonpath=src),
        qdev("config", "-h", pythonpath=src),
    )
    assert "Usage: qdev config" in sub_first.stdout
    assert not imported(sub_first) & {"pydantic", "git"}
    assert qdev("config", "--help", pythonpath=src).stdout == sub_first.stdout
    assert not imported(qdev("config", "--help", pythonpath=src)) & HEAVY
    assert sub_second.stdout == sub_first.stdout


def test_no_command_help_imports_pydantic_or_gitpython() -> None:
    paths = command_paths()
    script = (
        "import sys; from qdev.__main__ import main\n"
        f"for path in {paths!r}:\n    assert main([*path, '--help']) == 0, path\n"
        "print(*sorted({m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run([PY, "-c", script], capture_output=True, text=True, check=True)
    modules = set(done.stdout.splitlines()[-1].split())
    assert "typer" in modules
    assert not modules & {"pydantic", "git"}


def test_python_dash_m_qdev_works() -> None:
    done = subprocess.run(
        [PY, "-m", "qdev", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout == f"qdev {__version__}\n"


def test_version_through_typer_with_other_options() -> None:
    done = qdev("-v", "--version")
    assert (done.returncode, done.stdout) == (0, f"qdev {__version__}\n")


# --- the help cache -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "cacheable"),
    [
        (["--help"], True),
        (["-h"], True),
        (["config", "show", "--help"], True),
        (["--no-color", "-q", "config", "--help"], True),
        (["init", "my_repo-2", "--help"], True),
        ([], False),
        (["config"], False),
        (["--help", "config"], False),
        (["config", "--json", "--help"], False),
        (["init", "./path", "--help"], False),
        (["init", "a=b", "--help"], False),
        (["-x", "--help"], False),
        (["déjà", "--help"], False),
    ],
)
def test_which_requests_the_cache_may_answer(argv: list[str], cacheable: bool) -> None:
    assert helpcache.is_help_request(argv) is cacheable


def copy_of_qdev(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    shutil.copytree(SRC / "qdev", root / "qdev", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_a_new_command_shows_up_in_cached_help_at_once(tmp_path: Path) -> None:
    src = copy_of_qdev(tmp_path)
    before = qdev("--help", pythonpath=src)
    assert "hello" not in before.stdout
    assert qdev("--help", pythonpath=src).stdout == before.stdout  # cached now
    (src / "qdev" / "cli" / "hello.py").write_text(
        textwrap.dedent(
            '''
            from __future__ import annotations

            import typer


            def register(app: typer.Typer) -> None:
                @app.command("hello")
                def hello() -> None:
                    """Say hello to the team."""
            '''
        )
    )
    app_py = src / "qdev" / "cli" / "app.py"
    app_py.write_text(
        app_py.read_text().replace("COMMANDS: list[str] = [", 'COMMANDS: list[str] = ["hello", ')
    )
    after = qdev("--help", pythonpath=src)
    assert "Say hello to the team." in after.stdout
    assert not imported(after) & {"pydantic", "git"}
    assert qdev("--help", pythonpath=src).stdout == after.stdout
    assert not imported(qdev("--help", pythonpath=src)) & HEAVY


def test_an_edited_docstring_shows_up_in_cached_help(tmp_path: Path) -> None:
    src = copy_of_qdev(tmp_path)
    qdev("--help", pythonpath=src)
    app_py = src / "qdev" / "cli" / "app.py"
    app_py.write_text(app_py.read_text().replace("verified the same way everywhere", "NEW WORDING"))
    assert "NEW WORDING" in qdev("--help", pythonpath=src).stdout


@pytest.mark.parametrize(
    ("env", "args", "colored"),
    [
        ({}, (), False),
        ({"FORCE_COLOR": "1"}, (), True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, (), False),
        ({"FORCE_COLOR": "1"}, ("--no-color",), False),
    ],
)
def test_help_is_coloured_only_when_asked_for(
    env: dict[str, str], args: tuple[str, ...], colored: bool
) -> None:
    for _ in range(2):  # rendered, then from the cache
        done = qdev(*args, "--help", env=env)
        assert done.returncode == 0
        assert (ANSI in done.stdout) is colored
        assert "Usage:" in done.stdout


def test_help_fits_the_width_it_is_given() -> None:
    narrow = qdev("--help", COLUMNS="60").stdout
    wide = qdev("--help", COLUMNS="120").stdout
    assert max(len(line) for line in narrow.splitlines()) == 60
    assert max(len(line) for line in wide.splitlines()) == 120
    assert qdev("--help", COLUMNS="60").stdout == narrow


def command_paths() -> list[list[str]]:
    """Every command path of the real app: [], ["config"], ["config", "show"], ..."""
    app = typer.main.get_command(cli_app.build_app())
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        names = getattr(command, "commands", {})
        for name, sub in sorted(names.items()):
            walk(sub, [*path, name])

    walk(app, [])
    return paths


def test_help_drawn_from_the_command_tree_equals_help_from_parsing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths = command_paths()
    assert ["config"] in paths
    for path in paths:
        assert cli_app._show_help(cli_app.build_app(), [*path, "--help"]) == 0
        drawn = capsys.readouterr().out
        assert cli_app._invoke(cli_app.build_app(), [*path, "--help"]) == 0
        assert capsys.readouterr().out == drawn
        assert f"Usage: {' '.join(['qdev', *path])}" in drawn


def test_help_texts_do_not_depend_on_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The help cache is not keyed by folder: a default like Path.cwd() in a help text would be
    shown in every other folder too."""
    texts: list[list[str]] = []
    for folder in (tmp_path / "one", tmp_path / "two"):
        folder.mkdir()
        monkeypatch.chdir(folder)
        rendered = []
        for path in command_paths():
            cli_app._show_help(cli_app.build_app(), [*path, "--help"])
            rendered.append(capsys.readouterr().out)
        texts.append(rendered)
    assert texts[0] == texts[1]


def test_help_with_a_positional_value_is_parsed_as_usual(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # click shows the help before it looks at the other arguments
    assert cli_app._show_help(cli_app.build_app(), ["config", "schema", "extra", "--help"]) == 0
    assert "Usage: qdev config schema" in capsys.readouterr().out


def test_a_failed_help_request_is_not_cached() -> None:
    done = qdev("nosuchcommand", "--help")
    assert done.returncode == 2
    assert "No such command 'nosuchcommand'" in done.stderr
    assert help_entries() == []


def test_a_stored_text_with_another_key_is_ignored(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    rendered = capsys.readouterr().out
    (entry,) = help_entries()
    entry.write_text("some other key\nstale text")
    assert helpcache.lookup(["--help"]) is None
    assert main(["--help"]) == 0
    assert capsys.readouterr().out == rendered


def test_help_is_printed_even_when_the_cache_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert main(["--help"]) == 0
    assert "Usage: qdev" in capsys.readouterr().out
    assert helpcache.store(["--help"], False, 80, "text") is None


def test_the_cache_starts_afresh_past_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helpcache, "MAX_ENTRIES", 2)
    for columns in (50, 60, 70):
        helpcache.store(["--help"], False, columns, "Usage: x")
    assert len(help_entries()) == 1


def test_width_comes_from_the_environment_or_defaults_to_80(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("TERMINAL_WIDTH", raising=False)
    assert helpcache.width() == 80
    monkeypatch.setenv("COLUMNS", "93")
    assert helpcache.width() == 93
    monkeypatch.setenv("TERMINAL_WIDTH", "71")
    assert helpcache.width() == 71


def run_on_a_terminal(argv: list[str], *, columns: int, env: dict[str, str] | None = None) -> str:
    """Run `argv` with stdout on a pseudo-terminal `columns` wide; return what it printed."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    full_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "TERMINAL_WIDTH")}
    proc = subprocess.Popen(
        argv, stdout=follower, stderr=subprocess.DEVNULL, env={**full_env, **(env or {})}
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    assert proc.returncode == 0
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_help_on_a_terminal_is_coloured_and_as_wide_as_the_terminal() -> None:
    for _ in range(2):  # rendered, then from the cache
        text = run_on_a_terminal([PY, "-m", "qdev", "--help"], columns=100)
        assert ANSI in text
        plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
        assert max(len(line) for line in plain.splitlines()) == 100
    no_color = run_on_a_terminal([PY, "-m", "qdev", "--help"], columns=100, env={"NO_COLOR": "1"})
    assert ANSI not in no_color


def test_results_are_coloured_on_a_terminal_and_plain_when_piped() -> None:
    script = "from qdev.output import console; console().print('[red]result[/red]')"
    assert ANSI in run_on_a_terminal([PY, "-c", script], columns=80)
    piped = subprocess.run([PY, "-c", script], capture_output=True, text=True, check=True)
    assert piped.stdout == "result\n"


# --- usage errors, completion, signals ------------------------------------------------------


def test_a_usage_error_exits_2_with_clicks_message() -> None:
    done = qdev("nosuchcommand")
    assert done.returncode == 2
    assert "Error: No such command 'nosuchcommand'." in done.stderr
    assert "Traceback" not in done.stderr
    bad_option = qdev("--bogus")
    assert bad_option.returncode == 2
    assert "No such option: --bogus" in bad_option.stderr


def test_no_arguments_shows_the_help_as_a_usage_error() -> None:
    done = qdev()
    assert done.returncode == 2
    assert "Usage: qdev" in done.stdout


# typer finds the shell by walking up the process tree unless told this; a test run with no
# shell above it (a detached job, some CI runners) would get "Shell  not supported".
NO_SHELL_DETECTION = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


def test_shell_completion_completes_command_names() -> None:
    bash = qdev(_QDEV_COMPLETE="complete_bash", COMP_WORDS="qdev con", COMP_CWORD="1")
    assert bash.returncode == 0
    assert bash.stdout.split() == ["config"]
    script = qdev("--show-completion", "bash", env=NO_SHELL_DETECTION)
    assert script.returncode == 0, script.stderr
    assert "_qdev_completion" in script.stdout


def test_install_completion_writes_the_script_and_sources_it(tmp_path: Path) -> None:
    done = qdev("--install-completion", "bash", HOME=str(tmp_path), env=NO_SHELL_DETECTION)
    assert done.returncode == 0, done.stderr
    script = tmp_path / ".bash_completions" / "qdev.sh"
    assert "_QDEV_COMPLETE=complete_bash" in script.read_text()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()


NAPPER = textwrap.dedent(
    """
    import sys, time
    import qdev.cli.app as cli_app
    build = cli_app.build_app

    def with_nap():
        app = build()

        @app.command("nap")
        def nap() -> None:
            print("napping", flush=True)
            time.sleep(60)

        return app

    cli_app.build_app = with_nap
    from qdev.__main__ import main
    sys.exit(main(["nap"]))
    """
)


FLOOD = textwrap.dedent(
    """
    import sys
    import qdev.cli.app as cli_app
    build = cli_app.build_app

    def with_flood():
        app = build()

        @app.command("flood")
        def flood() -> None:
            from qdev.output import console
            for i in range(200_000):
                console().print(f"line {i}")

        return app

    cli_app.build_app = with_flood
    from qdev.__main__ import main
    sys.exit(main(["flood"]))
    """
)


def test_output_cut_off_by_a_closed_pipe_exits_141_quietly() -> None:
    proc = subprocess.Popen([PY, "-c", FLOOD], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.read(20).startswith(b"line 0")
    proc.stdout.close()  # what `| head` does
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 141
    assert stderr == b""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_exits_130_without_a_traceback(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [PY, "-c", NAPPER], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "napping\n"
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert stderr == "qdev: interrupted\n"


# --- global options and outcomes, in-process ------------------------------------------------


@pytest.fixture
def with_command(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[], None]], None]]:
    """Adds a `probe` command running the given function to the app qdev builds."""
    holder: list[Callable[[], None]] = []
    build = cli_app.build_app

    def build_with_probe() -> typer.Typer:
        app = build()

        @app.command("probe")
        def probe() -> None:
            holder[0]()

        return app

    monkeypatch.setattr(cli_app, "build_app", build_with_probe)
    yield holder.append
    output.SETTINGS.reset()


def test_global_options_reach_the_output_settings(
    with_command: Callable[[Callable[[], None]], None], capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[int, bool, bool | None]] = []
    with_command(
        lambda: seen.append((output.SETTINGS.verbose, output.SETTINGS.quiet, output.SETTINGS.color))
    )
    assert cli_app.run(["-v", "-q", "--no-color", "probe"]) == 0
    assert cli_app.run(["probe"]) == 0
    assert cli_app.run(["-vv", "probe"]) == 0
    assert [list(item) for item in seen] == [[1, True, False], [0, False, None], [1, False, None]]


def test_quiet_hides_status_lines_but_never_results(
    with_command: Callable[[Callable[[], None]], None], capsys: pytest.CaptureFixture[str]
) -> None:
    def report() -> None:
        output.info("working")
        output.detail("details")
        output.warn("careful")
        output.console().print("the result")

    with_command(report)
    assert cli_app.run(["-q", "probe"]) == 0
    quiet = capsys.readouterr()
    assert (quiet.out, quiet.err) == ("the result\n", "warning: careful\n")
    assert cli_app.run(["-v", "probe"]) == 0
    verbose = capsys.readouterr()
    assert verbose.err == "working\ndetails\nwarning: careful\n"
    assert cli_app.run(["probe"]) == 0
    assert capsys.readouterr().err == "working\nwarning: careful\n"


@pytest.mark.parametrize(
    ("raised", "code", "message"),
    [
        (typer.Exit(3), 3, ""),
        (typer.Abort(), 4, "qdev: error: aborted"),
        (EOFError(), 2, "qdev: error: input ended"),
        (KeyboardInterrupt(), 130, "qdev: interrupted"),
        (BrokenPipeError(), 141, ""),
    ],
)
def test_outcomes_of_a_command_map_to_exit_codes(
    with_command: Callable[[Callable[[], None]], None],
    capsys: pytest.CaptureFixture[str],
    raised: BaseException,
    code: int,
    message: str,
) -> None:
    def fail() -> None:
        raise raised

    with_command(fail)
    assert cli_app.run(["probe"]) == code
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert "Traceback" not in err


def test_ctrl_c_at_a_prompt_is_an_interrupt(
    with_command: Callable[[Callable[[], None]], None], capsys: pytest.CaptureFixture[str]
) -> None:
    def prompt() -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise typer.Abort() from None

    with_command(prompt)
    assert cli_app.run(["probe"]) == 130


def test_a_command_module_that_fails_to_import_is_a_bug_shown_with_verbose(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli_app, "COMMANDS", [*cli_app.COMMANDS, "no_such_module_xyz"])
    assert cli_app.run(["-v", "no_such_module_xyz"]) == 70
    err = capsys.readouterr().err
    assert "No module named 'qdev.cli.no_such_module_xyz'" in err
    assert "Traceback (most recent call last)" in err


def test_a_command_runs_without_loading_the_other_command_modules(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli_app, "COMMANDS", [*cli_app.COMMANDS, "no_such_module_xyz"])

    assert cli_app.run(["-v", "config", "schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "qdev.toml"
    assert cli_app.run(["-v", "confg"]) == 70  # a typo: every command, for the suggestion


# --- colour decisions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "flag", "tty", "expected"),
    [
        ({}, None, False, False),
        ({}, None, True, True),
        ({"NO_COLOR": "1"}, None, True, False),
        ({"FORCE_COLOR": "1"}, None, False, True),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, None, False, False),
        ({"FORCE_COLOR": "1"}, False, True, False),
    ],
)
def test_colour_precedence(
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    flag: bool | None,
    tty: bool,
    expected: bool,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    output.SETTINGS.color = flag
    try:
        assert output.color_enabled(tty) is expected
    finally:
        output.SETTINGS.reset()


def test_consoles_emit_ansi_only_when_colour_is_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    output.console().print("[bold red]plain[/bold red]")
    assert capsys.readouterr().out == "plain\n"
    monkeypatch.setenv("FORCE_COLOR", "1")
    output.console().print("[bold red]coloured[/bold red]")
    assert ANSI in capsys.readouterr().out


def test_ctrl_c_or_a_closed_pipe_before_the_cli_is_up(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(argv: list[str]) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_app, "run", interrupted)
    assert main(["config"]) == 130
    assert capsys.readouterr().err == "qdev: interrupted\n"

    class ClosedPipe:
        def write(self, text: str) -> int:
            raise BrokenPipeError

        def fileno(self) -> int:
            raise ValueError("no file descriptor")

    monkeypatch.setattr(helpcache, "lookup", lambda argv: "cached help")
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["--help"]) == 141


def test_run_works_off_the_main_thread(capsys: pytest.CaptureFixture[str]) -> None:
    import threading

    codes: list[int] = []
    worker = threading.Thread(target=lambda: codes.append(cli_app.run(["nosuchcommand"])))
    worker.start()
    worker.join()
    assert codes == [2]


def write_user_file(text: str) -> Path:
    path = Path(output.user_file())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_user_file_can_turn_colour_on_below_the_flags_and_variables() -> None:
    assert output.user_file().startswith(os.environ["XDG_CONFIG_HOME"])
    write_user_file("color = true\n")
    script = "from qdev.output import console; console().print('[red]result[/red]')"
    piped = subprocess.run([PY, "-c", script], capture_output=True, text=True, check=True)
    assert piped.stdout == "result\n"  # preferences apply to qdev runs, not to a bare import
    for _ in range(2):
        assert ANSI in qdev("--help").stdout
    assert ANSI not in qdev("--help", NO_COLOR="1").stdout
    assert ANSI not in qdev("--no-color", "--help").stdout


def test_user_preferences_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    write_user_file("color = false\nverbose = true\n")
    try:
        output.read_user_preferences()
        assert output.color_enabled(True) is False
        assert output.SETTINGS.verbose == 1
    finally:
        output.SETTINGS.reset()


def test_a_verbose_user_file_prints_the_traceback_of_a_bug() -> None:
    write_user_file("verbose = true\n")
    done = qdev("config", "schema", _QDEV_INJECT_CRASH="1")
    assert done.returncode == 70
    assert "Traceback (most recent call last)" in done.stderr


@pytest.mark.parametrize("content", ["color = [not toml", "color = 'yes'", "x" * 1_000_001])
def test_a_broken_user_file_has_no_preferences_here(content: str) -> None:
    write_user_file(content)
    output.read_user_preferences()
    assert output.SETTINGS.user_color is None
    output.SETTINGS.reset()


def test_version_and_cached_help_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"qdev {__version__}\n"
    assert cli_app.run(["-q", "--version"]) == 0
    assert capsys.readouterr().out == f"qdev {__version__}\n"
    assert main(["--help"]) == 0
    rendered = capsys.readouterr().out
    assert len(help_entries()) == 1
    assert main(["-h"]) == 0  # another request: drawn and stored again
    assert main(["--help"]) == 0
    assert capsys.readouterr().out == rendered * 2
    assert len(help_entries()) == 2


def test_an_injected_crash_in_process_is_a_bug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(cli_app.CRASH_VAR, "1")
    assert cli_app.run(["config", "schema"]) == 70
    assert "this is a bug in qdev" in capsys.readouterr().err


def test_completion_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(cli_app.COMPLETE_VAR, "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "qdev conf")
    monkeypatch.setenv("COMP_CWORD", "1")
    assert cli_app.run([]) == 0
    assert capsys.readouterr().out.split() == ["config"]


def test_help_width_follows_the_terminal_stdout_is_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl
    import pty
    import struct
    import termios

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("TERMINAL_WIDTH", raising=False)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 123, 0, 0))
    with os.fdopen(follower, "w") as terminal:
        monkeypatch.setattr(sys, "stdout", terminal)
        assert helpcache.width() == 123
        assert helpcache.wants_color([]) is True
        assert helpcache.wants_color(["--no-color"]) is False
    os.close(leader)


def test_a_closed_stdout_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    assert helpcache._isatty() is False
    assert output.color_enabled() is False
    assert helpcache.width() == 80


def test_settings_reset() -> None:
    settings = output.OutputSettings()
    settings.verbose, settings.quiet, settings.color = 3, True, True
    settings.reset()
    assert settings_state(settings) == (0, False, None)


def settings_state(settings: output.OutputSettings) -> tuple[int, bool, bool | None]:
    return settings.verbose, settings.quiet, settings.color


def test_the_version_in_the_package_matches_the_distribution() -> None:
    from importlib.metadata import version

    assert version("qdev") == __version__
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", __version__)


# --- properties of the help cache -----------------------------------------------------------

WORDS = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)


@given(
    flags=st.lists(st.sampled_from(sorted(helpcache.GLOBAL_FLAGS)), max_size=3),
    words=st.lists(WORDS, max_size=4),
    help_flag=st.sampled_from(helpcache.HELP_FLAGS),
)
def test_flags_then_words_then_help_is_always_cacheable(
    flags: list[str], words: list[str], help_flag: str
) -> None:
    assert helpcache.is_help_request([*flags, *words, help_flag])


@given(
    words=st.lists(WORDS, max_size=3),
    odd=st.text(min_size=1).filter(lambda token: not helpcache._is_word(token)),
)
def test_any_token_that_is_not_a_plain_word_is_left_to_click(words: list[str], odd: str) -> None:
    assume(odd not in helpcache.GLOBAL_FLAGS)
    assert not helpcache.is_help_request([*words, odd, "--help"])
    assert not helpcache.is_help_request([*words, odd])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=50)
@given(
    words=st.lists(WORDS, max_size=3),
    columns=st.integers(min_value=20, max_value=300),
    text=st.text(alphabet=st.characters(exclude_categories=["Cs"])),
)
def test_a_stored_text_comes_back_exactly(
    monkeypatch: pytest.MonkeyPatch, words: list[str], columns: int, text: str
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    argv = [*words, "--help"]
    assert helpcache.store(argv, False, columns, text) is not None
    assert helpcache.lookup(argv) == text
    assert helpcache.lookup([*words, "-h"]) is None  # another request, another entry
