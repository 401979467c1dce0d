"""`qdev fleet fetch` (clones in the cache, refreshed in parallel; one unreachable repo
reported, never fatal; the profile's new releases seen) and `qdev fleet run`."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from qdev.fleet.clones import clone_dir
from tests.cli_runner import RunQdev

from . import world as w

pytestmark = pytest.mark.e2e


def test_fetch_clones_and_refreshes_remote_repos_and_reports_the_unreachable(
    fleet: Path, qdev: RunQdev
) -> None:
    remote = fleet / "remotes" / f"{w.BY_URL}.git"

    first = qdev("fleet", "fetch", "--json")

    assert first.code == 1, first.err
    report = json.loads(first.out)
    actions = {r["name"]: r["action"] for r in report["repos"]}
    assert actions == {w.BY_URL: "cloned", w.UNREACHABLE: "failed"}
    failed = next(r for r in report["repos"] if r["name"] == w.UNREACHABLE)
    assert "does not exist" in failed["detail"]
    assert len(report["local"]) == w.COUNT - 2
    assert [p["error"] for p in report["profiles"]] == [None]
    clone = clone_dir(str(remote))
    assert (clone / ".qdev" / "state.toml").is_file()

    pusher = fleet / "pusher"
    w.git(fleet, "clone", "-q", str(remote), str(pusher))
    (pusher / "NEWS.md").write_text("news\n")
    w.commit(pusher, "feat: news")
    w.git(pusher, "push", "-q", "origin", "main")

    again = qdev("fleet", "fetch", "-r", w.BY_URL)

    assert again.code == 0, again.out + again.err
    assert "updated" in again.out
    assert (clone / "NEWS.md").read_text() == "news\n"
    status = json.loads(qdev("fleet", "status", "--json", "-r", w.BY_URL).out)
    assert (
        status["repos"][0]["default_branch"]["head"] == w.git(pusher, "rev-parse", "HEAD").strip()
    )


def test_a_new_profile_release_is_seen_after_fetch(tmp_path: Path, qdev: RunQdev) -> None:
    profile = tmp_path / "profile"
    w.build_profile(profile)
    repo = tmp_path / "repos" / "alpha"
    repo.mkdir(parents=True)
    (repo / "qdev.toml").write_text(f'[extends]\ngit = "{profile}"\nref = "v3.0.0"\n')
    assert qdev("init", repo, "--kind", "library", "--yes", "--no-env", "--commit").code == 0
    assert qdev("fleet", "add", repo, cwd=tmp_path).code == 0
    before = json.loads(qdev("fleet", "status", "--json").out)["repos"][0]["profile"]
    w.git(profile, "tag", "-a", "v3.1.0", "-m", "Profile 3.1.0")

    offline = json.loads(qdev("fleet", "status", "--json").out)["repos"][0]["profile"]
    fetched = qdev("fleet", "fetch")
    after = json.loads(qdev("fleet", "status", "--json").out)["repos"][0]["profile"]

    assert (before["latest"], before["behind"]) == ("v3.0.0", 0)
    assert (offline["latest"], offline["behind"]) == ("v3.0.0", 0), "status reads the cache only"
    assert fetched.code == 0, fetched.out + fetched.err
    assert "refreshed" in fetched.out
    assert (after["latest"], after["behind"]) == ("v3.1.0", 1)


def test_run_runs_an_argument_list_in_every_selected_repo_with_a_pass_fail_table(
    fleet: Path, qdev: RunQdev
) -> None:
    script = (
        "import os, sys; print(os.path.basename(os.getcwd())); sys.exit(os.path.exists('OLD.md'))"
    )
    ran = qdev("fleet", "run", "-g", "rates", "-j", "3", "--", sys.executable, "-c", script)

    assert ran.code == 1
    rates = [n for n in w.names() if w.group_of(n) == "rates"]
    for name in rates:
        assert f"== {name} " in ran.out
    assert f"{len(rates) - 1} of {len(rates)} passed" in ran.out
    rows = [line for line in ran.out.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows if "failed" in row] == [w.OLD]

    shell = ["sh", "-c", "echo $0; exit 3", "two words; $HOME"]
    as_json = json.loads(qdev("fleet", "run", "-r", "r00", "-r", w.OLD, "--json", "--", *shell).out)
    by_name = {r["name"]: r for r in as_json["repos"]}
    assert by_name["r00"]["exit_code"] == 3
    assert by_name["r00"]["output"].strip() == "two words; $HOME", "one argument, no shell"

    missing = qdev("fleet", "run", "-r", "r00", "--", "no-such-tool-here")
    assert missing.code == 1
    assert "no-such-tool-here" in missing.out

    slow = qdev("fleet", "run", "-r", "r00", "--timeout", "0.5", "--", "sleep", "30")
    assert slow.code == 1
    assert "did not finish within 0.5 s" in slow.out


def test_run_clones_a_remote_repo_it_has_not_seen(fleet: Path, qdev: RunQdev) -> None:
    shutil.rmtree(clone_dir(str(fleet / "remotes" / f"{w.BY_URL}.git")), ignore_errors=True)

    ran = qdev(
        "fleet", "run", "-r", w.BY_URL, "-r", w.UNREACHABLE, "--json", "--", "git", "status", "-s"
    )

    by_name = {r["name"]: r for r in json.loads(ran.out)["repos"]}
    assert by_name[w.BY_URL]["ok"]
    assert by_name[w.UNREACHABLE]["exit_code"] is None
    assert "cannot be cloned" in by_name[w.UNREACHABLE]["output"]
    assert os.path.isdir(by_name[w.BY_URL]["path"])
