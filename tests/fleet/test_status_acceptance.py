"""`qdev fleet status` on the acceptance fleet: each planted condition, in the table, the JSON
and the HTML page; the memo answers an unchanged fleet and notices every kind of change."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from qdev.tools import process
from tests.cli_runner import RunQdev

from . import world as w

pytestmark = pytest.mark.e2e
CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")


def by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {repo["name"]: repo for repo in document["repos"]}


def codes(repo: dict[str, Any]) -> set[str]:
    return {finding["code"] for finding in repo["health"]["findings"]}


def test_every_planted_condition_is_reported_in_json_table_and_page(
    fleet: Path, qdev: RunQdev
) -> None:
    ran = qdev("fleet", "status", "--json", "--html", fleet / "status.html")

    assert ran.code == 1, ran.err  # one repo could not be read: reported, not fatal
    document = json.loads(ran.out)
    (fleet / "schema.json").write_text(qdev("fleet", "status", "--schema").out)
    (fleet / "status.json").write_text(ran.out)
    valid = process.run(
        [CHECK_JSONSCHEMA, "--schemafile", fleet / "schema.json", fleet / "status.json"]
    )
    assert valid.ok, valid.output
    repos = by_name(document)
    assert len(repos) == w.COUNT
    assert_profiles(repos)
    assert_planted(repos)
    assert_sorted_by_how_far_behind(document["repos"])
    assert document["summary"] == expected_summary(repos)

    table = qdev("fleet", "status")
    rows = table_rows(table.out)
    assert set(rows) == set(repos)
    assert "invalid" in rows[w.BROKEN]
    assert "config-invalid" in rows[w.BROKEN]
    assert "failed (test)" in rows[w.FAILING]
    assert "passed" in rows[w.PASSING]
    assert "v0.1.0" in rows[w.UNRELEASED]
    assert "+3" in rows[w.UNRELEASED]
    assert "unreadable" in rows[w.UNREACHABLE]
    assert "v3.0.0 -2" in rows[w.EDITED]
    assert "drift" in rows[w.EDITED]
    assert next(iter(rows)) == w.UNREACHABLE, "the unreadable come first"
    assert f"{w.UNREACHABLE}: cannot be cloned" in table.out

    page = (fleet / "status.html").read_text()
    embedded = re.search(r'<script type="application/json" id="fleet-data">\n(.*?)\n</script>',
                         page, re.S)  # fmt: skip
    assert embedded is not None
    assert by_name(json.loads(embedded.group(1).replace("<\\/", "</"))).keys() == repos.keys()
    for name in (w.BROKEN, w.FAILING, w.UNREACHABLE, w.CONFLICT, w.OLD):
        row = re.search(rf'<tr class="repo" data-name="{name}"[^>]*data-level="(\w+)"', page)
        assert row is not None
        assert row.group(1) == repos[name]["health"]["level"]
    assert "<link" not in page
    assert "src=" not in page
    assert "http" not in page.split("<style>")[0]


def assert_profiles(repos: dict[str, dict[str, Any]]) -> None:
    for name, repo in repos.items():
        if name == w.UNREACHABLE:
            continue
        ref = w.ref_of(name)
        behind = {"v1.0.0": 2, "v2.0.0": 1, "v3.0.0": 0}[ref]
        assert repo["kind"] == w.kind_of(name), name
        assert repo["profile"]["name"] == "team"
        assert (repo["profile"]["pinned"], repo["profile"]["ref"]) == (ref, ref), name
        assert (repo["profile"]["latest"], repo["profile"]["behind"]) == ("v3.0.0", behind), name
        assert repo["default_branch"]["name"] == "main"
        assert repo["group"] == w.group_of(name)
        assert repo["tags"] == w.tags_of(name)


def assert_planted(repos: dict[str, dict[str, Any]]) -> None:
    edited = repos[w.EDITED]["drift"]
    assert [(i["path"], i["reason"]) for i in edited["items"]] == [("noxfile.py", "file edited")]
    deleted = repos[w.DELETED]["drift"]
    assert [(i["path"], i["reason"]) for i in deleted["items"]] == [
        (".editorconfig", "file deleted")
    ]
    assert repos[w.CONFLICT]["drift"]["ok"] is True  # a merged file's edit is the repo's own

    broken = repos[w.BROKEN]
    assert broken["config"]["valid"] is False
    assert any("check.coverage" in p and "qdev.toml" in p for p in broken["config"]["problems"])
    assert broken["health"]["level"] == "bad"
    assert "config-invalid" in codes(broken)

    failing, passing = repos[w.FAILING], repos[w.PASSING]
    assert (failing["check"]["status"], failing["check"]["failed_steps"]) == ("failed", ["test"])
    assert failing["health"]["level"] == "bad"
    assert "check-failed" in codes(failing)
    assert passing["check"]["status"] == "passed"
    assert passing["check"]["time"] is not None
    assert failing["lock"]["present"]
    assert failing["lock"]["age_days"] is not None
    others = [r for n, r in repos.items() if n not in (*w.WITH_ENV, w.UNREACHABLE)]
    assert all(r["check"]["status"] == "unknown" for r in others)
    assert all(not r["lock"]["present"] for r in others)

    unreleased, released = repos[w.UNRELEASED]["release"], repos[w.RELEASED]["release"]
    assert (unreleased["tag"], unreleased["commits_since"]) == ("v0.1.0", 3)
    assert (released["tag"], released["commits_since"]) == ("v0.1.0", 0)
    assert "unreleased" in codes(repos[w.UNRELEASED])
    assert "unreleased" not in codes(repos[w.RELEASED])
    assert repos[w.OLD]["default_branch"]["age_days"] > 365
    assert all(
        r["default_branch"]["age_days"] < 5
        for n, r in repos.items()
        if n not in (w.OLD, w.UNREACHABLE)
    )

    assert repos[w.BY_URL]["readable"]
    assert repos[w.BY_URL]["location"].endswith(f"remotes/{w.BY_URL}.git")
    gone = repos[w.UNREACHABLE]
    assert not gone["readable"]
    assert "does not exist" in gone["error"]
    assert gone["health"]["level"] == "bad"


def assert_sorted_by_how_far_behind(repos: list[dict[str, Any]]) -> None:
    readable = [r for r in repos if r["readable"]]
    assert [r["name"] for r in repos if not r["readable"]] == [repos[0]["name"]]
    behind = [r["profile"]["behind"] for r in readable]
    assert behind == sorted(behind, reverse=True)


def expected_summary(repos: dict[str, dict[str, Any]]) -> dict[str, int]:
    levels = [r["health"]["level"] for r in repos.values()]
    readable = [r for r in repos.values() if r["readable"]]
    return {
        "repos": w.COUNT,
        "ok": levels.count("ok"),
        "warn": levels.count("warn"),
        "bad": levels.count("bad"),
        "unreadable": 1,
        "behind": sum(1 for r in readable if r["profile"]["behind"]),
        "drifted": 2,
        "failing": 1,
        "unreleased": 1,
        "never_released": len(readable) - 2,
    }


def table_rows(text: str) -> dict[str, str]:
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if cells and re.fullmatch(r"r\d\d", cells[0]):
            rows[cells[0]] = line
    return rows


def test_an_unchanged_fleet_is_answered_from_the_memo_and_each_change_is_seen(
    fleet: Path, qdev: RunQdev
) -> None:
    from qdev.fleet import manifest
    from qdev.fleet.select import Selection, by_labels
    from qdev.fleet.status import StatusOptions, collect

    loaded = manifest.load(None)
    members = by_labels(loaded, Selection(groups=("rates",)))
    first = collect(loaded, members, StatusOptions(jobs=2))
    assert not any(s.from_memo for s in first)

    again = {s.member.name: s for s in collect(loaded, members, StatusOptions(jobs=2))}
    assert all(s.from_memo for s in again.values())
    assert {n: s.facts for n, s in again.items()} == {s.member.name: s.facts for s in first}

    repos = fleet / "repos"
    with (repos / "r00" / ".pre-commit-config.yaml").open("a") as handle:
        handle.write("# edited\n")  # a managed file: drift
    w.git(repos / "r02", "tag", "v9.9.9")  # a new release tag
    (repos / "r04" / "qdev.toml").write_text("[check]\ncoverage = 2000\n")  # config broken
    (repos / "r08" / "MORE.md").write_text("more\n")
    w.commit(repos / "r08", "feat: more")  # a new commit

    changed = {s.member.name: s for s in collect(loaded, members, StatusOptions(jobs=2))}
    assert {n for n, s in changed.items() if not s.from_memo} == {"r00", "r02", "r04", "r08"}
    assert [d.reason for d in changed["r00"].facts.drift or ()] == ["file edited"]
    assert changed["r02"].facts.release_tag == "v9.9.9"
    assert changed["r04"].facts.config_valid is False
    assert changed["r08"].facts.head != again["r08"].facts.head


def test_check_runs_qdev_check_afresh_where_the_environment_is_ready(
    fleet: Path, qdev: RunQdev
) -> None:
    failing = fleet / "repos" / w.FAILING
    assert qdev("env", cwd=failing).code == 0  # the copy has no .venv: make it from uv.lock
    (failing / "tests" / "test_planted.py").write_text("def test_fixed() -> None:\n    pass\n")
    w.commit(failing, "fix: the planted test")

    ran = qdev("fleet", "status", "--check", "-r", w.FAILING, "-r", "r00", "--json", cwd=fleet)

    repos = by_name(json.loads(ran.out))
    fixed, bare = repos[w.FAILING]["check"], repos["r00"]["check"]
    assert (fixed["status"], fixed["fresh"]) == ("passed", True), fixed
    assert (bare["status"], bare["fresh"]) == ("not_run", True)
    assert "environment" in bare["summary"]
    again = by_name(json.loads(qdev("fleet", "status", "-r", w.FAILING, "--json").out))
    assert again[w.FAILING]["check"]["status"] == "passed", "the fresh run is in the cache"
    assert again[w.FAILING]["check"]["fresh"] is False
