"""fleet.toml and `qdev fleet add/remove/list`: edits that keep the file's comments, names that
stay unique, and every problem of a bad file named with its line and key."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdev.errors import ConfigError
from qdev.fleet import manifest
from tests.cli_runner import RunQdev


def git_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def test_add_writes_paths_relative_to_the_fleet_file_and_urls_as_given(
    tmp_path: Path, qdev: RunQdev
) -> None:
    alpha = git_repo(tmp_path / "repos" / "alpha")
    git_repo(tmp_path / "repos" / "beta")
    home = tmp_path / "ops"
    home.mkdir()

    ran = qdev("fleet", "add", alpha, "../repos/beta", "-g", "rates", "-t", "prod", cwd=home)
    url = qdev("fleet", "add", "git@git.example.com:quant/risk-engine.git", "--branch", "trunk")

    assert ran.code == 0, ran.err
    assert url.code == 0, url.err
    fleet = manifest.load(home / "fleet.toml")
    assert [(m.name, m.path, m.url, m.group, m.tags) for m in fleet.members] == [
        ("alpha", "../repos/alpha", None, "rates", ("prod",)),
        ("beta", "../repos/beta", None, "rates", ("prod",)),
        ("risk-engine", None, "git@git.example.com:quant/risk-engine.git", None, ()),
    ]
    assert fleet.members[2].branch == "trunk"
    listed = json.loads(qdev("fleet", "list", "--json").out)
    assert [r["name"] for r in listed["repos"]] == ["alpha", "beta", "risk-engine"]
    assert listed["repos"][0]["path"] == str(alpha)
    assert (
        json.loads(qdev("fleet", "list", "-t", "prod", "--json").out)["repos"][1]["name"] == "beta"
    )


def test_adding_again_changes_only_labels_and_keeps_the_files_comments(
    tmp_path: Path, qdev: RunQdev
) -> None:
    git_repo(tmp_path / "alpha")
    (tmp_path / "fleet.toml").write_text(
        '# our fleet\n\n[repos.alpha]  # the signal library\npath = "alpha"\ntags = ["prod"]\n'
    )

    same = qdev("fleet", "add", "alpha", cwd=tmp_path)
    text_after_same = (tmp_path / "fleet.toml").read_text()
    more = qdev("fleet", "add", "alpha", "-t", "signals", "-g", "rates")

    assert "unchanged" in same.out
    assert text_after_same.startswith("# our fleet")
    assert "updated" in more.out
    text = (tmp_path / "fleet.toml").read_text()
    assert "# our fleet" in text
    assert "# the signal library" in text
    member = manifest.load(tmp_path / "fleet.toml").members[0]
    assert (member.group, member.tags) == ("rates", ("prod", "signals"))


def test_a_name_or_a_place_used_twice_is_refused_and_the_file_kept(
    tmp_path: Path, qdev: RunQdev
) -> None:
    git_repo(tmp_path / "a" / "lib")
    git_repo(tmp_path / "b" / "lib")
    assert qdev("fleet", "add", "a/lib", cwd=tmp_path).code == 0
    before = (tmp_path / "fleet.toml").read_text()

    clash = qdev("fleet", "add", "b/lib")
    again = qdev("fleet", "add", "a/lib", "--name", "other")
    not_git = qdev("fleet", "add", str(tmp_path / "a"))
    missing = qdev("fleet", "add", "nowhere")

    assert clash.code == 2
    assert "named lib already" in clash.err
    assert "--name" in clash.err
    assert again.code == 2
    assert "as lib" in again.err
    assert not_git.code == 2
    assert "not a git work tree" in not_git.err
    assert missing.code == 2
    assert "not a folder" in missing.err
    assert (tmp_path / "fleet.toml").read_text() == before


def test_remove_takes_repos_out_and_refuses_unknown_names(tmp_path: Path, qdev: RunQdev) -> None:
    for name in ("one", "two"):
        git_repo(tmp_path / name)
    qdev("fleet", "add", "one", "two", cwd=tmp_path)

    unknown = qdev("fleet", "remove", "one", "three")
    removed = qdev("fleet", "remove", "one")

    assert unknown.code == 2
    assert "not in the fleet: three" in unknown.err
    assert removed.code == 0
    assert [m.name for m in manifest.load(tmp_path / "fleet.toml").members] == ["two"]


def test_every_problem_of_a_bad_fleet_file_is_named_with_its_line(tmp_path: Path) -> None:
    text = (
        "[repos.alpha]\n"
        'path = "alpha"\n'
        'url = "git@host:alpha.git"\n'
        "\n"
        "[repos.beta]\n"
        'tag = ["prod"]\n'
        'path = "beta"\n'
        "\n"
        "[repos.gamma]\n"
        'tags = "prod"\n'
        "\n"
        "[settings]\n"
    )
    with pytest.raises(ConfigError) as caught:
        manifest.parse(text, tmp_path / "fleet.toml")

    problems = caught.value.problems
    where = str(tmp_path / "fleet.toml")
    assert f"{where}:1:1: repos.alpha: give exactly one of path" in problems[0]
    assert f"{where}:6:1: repos.beta.tag: unknown key; did you mean 'tags'?" in problems[1]
    assert f"{where}:9:1: repos.gamma: give exactly one of path" in problems[2]
    assert f"{where}:10:1: repos.gamma.tags: expected a list" in problems[3]
    assert f"{where}:12:1: settings: unknown key" in problems[4]


def test_a_fleet_command_without_a_fleet_file_says_how_to_start_one(
    tmp_path: Path, qdev: RunQdev
) -> None:
    ran = qdev("fleet", "status", cwd=tmp_path)
    named = qdev("fleet", "list", "--fleet", tmp_path / "missing.toml")
    broken = tmp_path / "fleet.toml"
    broken.write_text("[repos\n")
    parse_error = qdev("fleet", "list")

    assert ran.code == 2
    assert "qdev fleet add" in ran.err
    assert named.code == 2
    assert "does not exist" in named.err
    assert parse_error.code == 2
    assert "fleet.toml" in parse_error.err
    assert "Traceback" not in parse_error.err


NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)
LABELS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ._#/-]{0,10}", fullmatch=True)


@st.composite
def members(draw: st.DrawFn) -> list[manifest.Member]:
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    made = []
    for n, name in enumerate(names):
        where = {"path": f"repos/{name}"} if draw(st.booleans()) else {"url": f"git@host:q/{n}.git"}
        made.append(
            manifest.Member(
                name,
                group=draw(st.none() | LABELS),
                tags=tuple(sorted(set(draw(st.lists(LABELS, max_size=3))))),
                branch=draw(st.none() | LABELS),
                **where,
            )
        )
    return made


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(members())
def test_added_members_read_back_as_written(tmp_path: Path, made: list[manifest.Member]) -> None:
    target = tmp_path / "fleet.toml"
    target.unlink(missing_ok=True)

    manifest.add(target, made)

    assert list(manifest.load(target).members) == made
    assert manifest.add(target, made) == [(m, "unchanged") for m in made]
