"""Issue 9's configuration faults, each kind: exit 2 naming file, line and key, at validation time.

Every value here was accepted by `qdev config validate` and then crashed (exit 70) or failed
late and unnamed in a later command. Each kind is tried with several members, not only the
example of the report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from qdev.config.loader import load_config
from qdev.errors import ConfigError

from .conftest import RunCli

DEEP = 5000


def assert_exit_2(result_code: int, err: str, *expected: str) -> None:
    assert result_code == 2, err
    assert "internal error" not in err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err


# --- nesting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["[" * DEEP + "]" * DEEP, "{a = " * DEEP + "1" + "}" * DEEP, "[" * 60 + "]" * 60]
)
def test_a_value_nested_thousands_deep_in_a_file_is_exit_2_naming_the_key(
    value: str, repo: Path, run_cli: RunCli
) -> None:
    (repo / "qdev.toml").write_text(f"[check]\ncoverage = 80\njunk = {value}\n")

    for command in (("config", "validate"), ("config", "show")):
        result = run_cli(*command)
        assert_exit_2(result.code, result.err, "qdev.toml:3:", "junk", "nested more than 20")


def test_a_table_nested_thousands_deep_is_exit_2(repo: Path, run_cli: RunCli) -> None:
    (repo / "qdev.toml").write_text("[" + ".".join(["a"] * DEEP) + "]\n")

    result = run_cli("config", "validate")

    assert_exit_2(result.code, result.err, "qdev.toml", "nested more than 20")


@pytest.mark.parametrize("variable", ["QDEV_CHECK__COVERAGE", "QDEV_CHECK__CUSTOM"])
def test_a_value_nested_thousands_deep_in_a_variable_is_exit_2_naming_it(
    variable: str, repo: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "[" * DEEP + "]" * DEEP)

    result = run_cli("config", "validate")

    assert_exit_2(result.code, result.err, f"environment variable {variable}", "nested")


def test_a_user_file_nested_thousands_deep_is_exit_2_and_never_crashes_help(
    repo: Path, user_file: Path, run_cli: RunCli
) -> None:
    user_file.parent.mkdir(parents=True)
    user_file.write_text("color = " + "[" * DEEP + "]" * DEEP + "\n")

    assert run_cli("--help").code == 0
    result = run_cli("config", "validate")
    assert_exit_2(result.code, result.err, str(user_file), "nested")


# --- values validate accepted that later commands crashed on -------------------------------

BAD_VALUES = [
    # format strings: formatted at validation, the tag must be one git takes
    ('[release]\ntag_format = "v{version}{x}"', "release.tag_format", "once and no other"),
    ('[release]\ntag_format = "v{}"', "release.tag_format", "once and no other"),
    ('[release]\ntag_format = "v{0}"', "release.tag_format", "once and no other"),
    ('[release]\ntag_format = "{version!r}"', "release.tag_format", "once and no other"),
    ('[release]\ntag_format = "{version:>9}"', "release.tag_format", "once and no other"),
    ('[release]\ntag_format = "{version.x}"', "release.tag_format", "once and no other"),
    ('[release]\ntag_format = "{version"', "release.tag_format", "once and no other"),
    ('[release]\ntag_format = "{{v}}{version}"', "release.tag_format", "once and no other"),
    ('[release]\ntag_format = "v {version}"', "release.tag_format", "a tag git accepts"),
    ('[release]\ntag_format = "v{version}.lock"', "release.tag_format", "a tag git accepts"),
    ('[release]\ntag_format = "-{version}"', "release.tag_format", "a tag git accepts"),
    ('[release]\ntag_format = "v..{version}"', "release.tag_format", "a tag git accepts"),
    ('[release]\ncalver_format = "YYYY.QQ"', "release.calver_format", "a calendar format"),
    ('[release]\ncalver_format = "MICRO"', "release.calver_format", "a calendar format"),
    # paths: inside the repo, a file where a file is wanted
    ('[release]\nchangelog = "/etc/passwd"', "release.changelog", "not an absolute one"),
    ('[release]\nchangelog = "../CHANGELOG.md"', "release.changelog", "inside the repo"),
    ('[release]\nchangelog = "docs/"', "release.changelog", "not a folder"),
    ('[release]\nchangelog = "src"', "release.changelog", '"src" is a folder'),
    ('[release]\nversion_files = ["src"]', "release.version_files[0]", '"src" is a folder'),
    ('[release]\nversion_files = ["/tmp/v.py"]', "release.version_files[0]", "absolute"),
    ('[release]\nversion_files = ["a/../../v.py"]', "release.version_files[0]", "inside"),
    ('[release]\nversion_files = ["missing.py"]', "release.version_files[0]", "does not exist"),
    ('[release]\nversion_files = ["v.py", "v.py"]', "release.version_files[1]", "once"),
    ('[check.custom.a]\nrun = ["x"]\ncwd = "../.."', "check.custom.a.cwd", "inside the repo"),
    ('[check.custom.a]\nrun = ["x"]\ncwd = "/tmp"', "check.custom.a.cwd", "absolute"),
    ('[check.custom.a]\nrun = ["x"]\ncwd = "v.py"', "check.custom.a.cwd", '"v.py" is a file'),
    ('[check.custom.a]\nrun = ["x"]\ncwd = "nowhere"', "check.custom.a.cwd", "does not exist"),
    # numbers with sane bounds
    ('[check.custom.a]\nrun = ["x"]\ntimeout = 1e308', "check.custom.a.timeout", "at most 86400"),
    ('[check.custom.a]\nrun = ["x"]\ntimeout = inf', "check.custom.a.timeout", "at most 86400"),
    ('[check.custom.a]\nrun = ["x"]\ntimeout = nan', "check.custom.a.timeout", "a number"),
    ("[check.test]\ntimeout = 1e308", "check.test.timeout", "at most 86400"),
    ("[check]\ncoverage = nan", "check.coverage", "from 0 to 100"),
    # names git, the OS and uv must accept
    ('[release]\nbranch = ""', "release.branch", 'a branch name, got ""'),
    ('[release]\nbranch = "my branch"', "release.branch", "a branch name git accepts"),
    ('[release]\nbranch = "HEAD"', "release.branch", "other than HEAD"),
    ('[release]\nbranch = "-main"', "release.branch", "not starting with -"),
    ('[check.custom.a]\nrun = ["x"]\nenv = {"A=B" = "1"}', 'check.custom.a.env."A=B"', "name"),
    ('[check.custom.a]\nrun = ["x"]\nenv = {"" = "1"}', 'check.custom.a.env.""', "name"),
    ('[check.custom.a]\nrun = [""]', "check.custom.a.run[0]", "a program to run"),
    ('[check.custom.a]\nrun = ["x\\u0000y"]', "check.custom.a.run[0]", "NUL"),
    ('[env]\nuv_args = ["--x\\u0000"]', "env.uv_args[0]", "NUL"),
    ('[env.indexes]\nmine = "https://"', "env.indexes.mine", "with a host"),
    ('[env.indexes]\nmine = "https://h:99999/"', "env.indexes.mine", "with a host"),
    ('[env.indexes]\n"a b" = "https://h/simple"', 'env.indexes."a b"', "an index name"),
    ('[release]\npublish_index = "team"', "release.publish_index", "a name from env.indexes"),
    ('[project]\nname = "-bad-"', "project.name", "a package name"),
    ('extends = {path = ""}', "extends.path", 'a name, path or URL, got ""'),
    ('extends = {name = " "}', "extends.name", 'a name, path or URL, got " "'),
    (f'extends = {{path = "{"a" * 5000}"}}', "extends.path", "can be read: File name too long"),
]


@pytest.mark.parametrize(
    ("toml", "key", "expected"), BAD_VALUES, ids=[b[0][:60] for b in BAD_VALUES]
)
def test_a_value_a_later_command_would_crash_on_is_refused_by_validate(
    toml: str, key: str, expected: str, repo: Path, run_cli: RunCli
) -> None:
    (repo / "src").mkdir()
    (repo / "v.py").write_text('__version__ = "0.1.0"\n')
    (repo / "qdev.toml").write_text(f"# policy\n{toml}\n")

    result = run_cli("config", "validate")

    assert_exit_2(result.code, result.err, "qdev.toml:", f"{key}: expected", expected)
    assert "fix:" in result.err


def test_a_path_that_leaves_the_repo_through_a_symbolic_link_is_refused(
    repo: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "docs").symlink_to(outside)
    (repo / "qdev.toml").write_text('[release]\nchangelog = "docs/CHANGES.md"\n')

    result = run_cli("config", "validate")

    assert_exit_2(result.code, result.err, "qdev.toml:2:1: release.changelog", "leads out")


def test_paths_every_command_relies_on_are_checked_when_loading_too(repo: Path) -> None:
    """A folder as changelog fails every command at load time, not the release half-way."""
    (repo / "src").mkdir()
    (repo / "qdev.toml").write_text('[release]\nchangelog = "src"\n')

    with pytest.raises(ConfigError, match=r'qdev.toml:2:1: release.changelog: .*"src" is a folder'):
        load_config(repo, environ={})


def test_a_file_that_a_release_creates_later_is_not_required_when_loading(repo: Path) -> None:
    (repo / "qdev.toml").write_text(
        '[release]\nchangelog = "NEWS.md"\nversion_files = ["later.py"]\n'
        '[check.custom.docs]\nrun = ["x"]\ncwd = "docs"\n'
    )

    loaded = load_config(repo, environ={})

    assert loaded.config.release.changelog == "NEWS.md"


def test_an_empty_changelog_means_no_changelog(repo: Path, run_cli: RunCli) -> None:
    (repo / "qdev.toml").write_text('[release]\nchangelog = ""\n')

    assert run_cli("config", "validate").code == 0


def test_good_paths_formats_and_names_are_accepted(repo: Path, run_cli: RunCli) -> None:
    (repo / "src" / "pkg").mkdir(parents=True)
    (repo / "src" / "pkg" / "__init__.py").write_text('__version__ = "0.1.0"\n')
    (repo / "qdev.toml").write_text(
        "[release]\n"
        'tag_format = "release/{version}"\n'
        'branch = "release/2024.x"\n'
        'changelog = "docs/CHANGES.md"\n'
        'version_files = ["./src/pkg/__init__.py"]\n'
        'calver_format = "YY.0W"\n'
        'publish_index = "team"\n'
        '[env.indexes]\nteam = "https://pypi.internal/simple"\n'
        '[check.custom.bench]\nrun = ["pytest"]\ncwd = "src/pkg"\ntimeout = 86400\n'
        'env = {OMP_NUM_THREADS = "1", _X = ""}\n'
    )

    result = run_cli("config", "validate")

    assert result.code == 0, result.err


@pytest.mark.parametrize(
    ("project", "key", "expected"),
    [
        ('name = "x"\nversion = ""', "project.version", 'got ""'),
        ('name = "x"\nversion = "one"', "project.version", 'got "one"'),
        ('name = "x"\nversion = 1', "project.version", "got 1"),
        ("name = 5", "project.name", "got 5"),
    ],
)
def test_validate_reads_the_project_version_a_release_relies_on(
    project: str, key: str, expected: str, repo: Path, run_cli: RunCli
) -> None:
    (repo / "pyproject.toml").write_text(f"[project]\n{project}\n")
    (repo / "qdev.toml").write_text("")

    for args in (("config", "validate"), ("config", "validate", "pyproject.toml")):
        result = run_cli(*args)
        assert_exit_2(result.code, result.err, "pyproject.toml:", f"{key}: expected", expected)


# --- problems found late or unnamed ---------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "ring"),
    [
        ({"a": ["b"], "b": ["a"]}, "a -> b -> a"),
        ({"a": ["a"]}, "a -> a"),
        ({"a": ["lint", "b"], "b": ["c"], "c": ["a"]}, "a -> b -> c -> a"),
    ],
)
def test_a_depends_on_cycle_names_its_steps_at_validation(
    steps: dict[str, list[str]], ring: str, repo: Path, run_cli: RunCli
) -> None:
    text = "".join(
        f'[check.custom.{name}]\nrun = ["x"]\ndepends_on = {json.dumps(deps)}\n'
        for name, deps in steps.items()
    )
    (repo / "qdev.toml").write_text(text)

    result = run_cli("config", "validate")

    assert_exit_2(result.code, result.err, "qdev.toml:3:", "check.custom.a.depends_on", ring)


@pytest.mark.parametrize(
    ("text", "line", "named"),
    [
        ("a = 1\na = 2\n", 2, 'key "a" is defined twice (first at line 1)'),
        ("[check]\ncoverage = 1\ncoverage = 2\n", 3, 'key "check.coverage" is defined twice'),
        ("[release]\n[check]\n[release]\n", 3, "table [release] is defined twice"),
        ("check = {jobs = 1, jobs = 2}\n", 1, 'key "jobs" is defined twice'),
        ("check.jobs = 1\n[check]\nx = 1\n", 2, 'key "check" is defined twice'),
    ],
)
def test_a_duplicate_key_is_named(
    text: str, line: int, named: str, repo: Path, run_cli: RunCli
) -> None:
    (repo / "qdev.toml").write_text(text)

    result = run_cli("config", "validate")

    assert_exit_2(result.code, result.err, f"qdev.toml:{line}:", named)


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"QDEV_CHECK__CUSTOM__X__CWD": "."}, "QDEV_CHECK__CUSTOM__X__CWD: check.custom.x.run"),
        (
            {"QDEV_CHECK__CUSTOM__X": '{run = ["a"]}', "QDEV_CHECK__CUSTOM__X__CWD": "5"},
            "QDEV_CHECK__CUSTOM__X__CWD: check.custom.x.cwd",
        ),
        ({"QDEV_RELEASE__BRANCH": '""'}, "QDEV_RELEASE__BRANCH: release.branch"),
    ],
)
def test_an_environment_problem_names_the_variable_that_caused_it(
    variables: dict[str, str],
    named: str,
    repo: Path,
    run_cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    result = run_cli("config", "validate")

    assert_exit_2(result.code, result.err, f"environment variable {named}")
    assert "None" not in result.err


def test_a_custom_step_outside_the_repo_fails_check_at_load_time_with_exit_2(
    repo: Path, run_cli: RunCli
) -> None:
    (repo / "qdev.toml").write_text('[check.custom.a]\nrun = ["true"]\ncwd = "../.."\n')

    result = run_cli("check", "a")

    assert_exit_2(result.code, result.err, "qdev.toml:3:1: check.custom.a.cwd")


# --- the built-in profile and credentials in config show ------------------------------------


def test_sources_name_the_builtin_profile_not_its_install_path(repo: Path, run_cli: RunCli) -> None:
    (repo / "qdev.toml").write_text('extends = { name = "default" }\n')

    text = run_cli("config", "show", "--sources").out
    data = json.loads(run_cli("config", "show", "--sources", "--json").out)

    assert "# profile default (built-in), line " in text
    assert "site-packages" not in text
    assert "src/qdev/profile" not in text
    assert data["sources"]["release.branch"]["text"].startswith("profile default (built-in)")


SECRET_URL = "https://alice:s3cret-pw@pypi.internal/simple"


@pytest.mark.parametrize(
    "args",
    [
        ("config", "show"),
        ("config", "show", "--sources"),
        ("config", "show", "--json"),
        ("config", "show", "--sources", "--json"),
    ],
)
def test_config_show_masks_credentials_in_urls(
    args: tuple[str, ...], repo: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "qdev.toml").write_text(f'[env.indexes]\nteam = "{SECRET_URL}"\n')
    monkeypatch.setenv("QDEV_ENV__INDEXES__MIRROR", "https://__token__:pypi-AgEI@mirror/simple")

    result = run_cli(*args)

    assert result.code == 0, result.err
    assert "s3cret" not in result.out
    assert "alice" not in result.out
    assert "pypi-AgEI" not in result.out
    assert "https://***@pypi.internal/simple" in result.out
    assert "https://***@mirror/simple" in result.out


def test_a_config_error_about_a_url_masks_its_credentials(repo: Path, run_cli: RunCli) -> None:
    (repo / "qdev.toml").write_text('[env.indexes]\nteam = "ftp://alice:s3cret@host/simple"\n')

    result = run_cli("config", "validate")

    assert_exit_2(result.code, result.err, "env.indexes.team", "ftp://***@host/simple")
    assert "s3cret" not in result.err


def test_validate_never_reads_the_environment_path_of_a_deleted_folder(
    repo: Path, run_cli: RunCli
) -> None:
    inner = repo / "gone"
    inner.mkdir()
    os.chdir(inner)
    inner.rmdir()

    result = run_cli("config", "validate")

    assert_exit_2(result.code, result.err, "the current folder no longer exists", "fix: cd")


def test_a_profile_from_git_is_named_by_its_commit_not_its_cache_path(repo: Path) -> None:
    from qdev.config.layers import Source
    from qdev.profile.cache import tree_path

    commit = "0123456789abcdef0123456789abcdef01234567"
    cached = tree_path(commit) / "qdev.toml"
    cached.parent.mkdir(parents=True)
    cached.write_text("[check]\ncoverage = 90\n")

    assert str(Source("profile", cached, 2, 1)) == "profile from git at commit 0123456789ab, line 2"
    assert str(Source("profile", repo / "qdev.toml", 2, 1)).endswith("qdev.toml:2:1")
