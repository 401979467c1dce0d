"""Conventional-commit parsing, the bump it calls for, and the changelog section it renders."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from qdev.release.changelog import insert_section, render_section, web_url
from qdev.release.commits import bump_for, parse_commit


def test_parses_type_scope_breaking_and_description() -> None:
    commit = parse_commit("a" * 40, "feat(risk)!: drop the old limits API")
    assert (commit.type, commit.scope, commit.breaking) == ("feat", "risk", True)
    assert commit.description == "drop the old limits API"


def test_breaking_change_footer_marks_a_commit_breaking() -> None:
    commit = parse_commit(
        "b" * 40, "fix: rename column", "Body.\n\nBREAKING CHANGE: px is now price"
    )
    assert commit.breaking
    assert commit.breaking_note == "px is now price"


def test_a_free_form_subject_has_no_type() -> None:
    commit = parse_commit("c" * 40, "Merge branch 'x' into main")
    assert commit.type is None
    assert not commit.breaking


@pytest.mark.parametrize(
    ("subjects", "current", "expected"),
    [
        (["fix: a", "docs: b"], "1.2.3", "patch"),
        (["perf: faster"], "1.2.3", "patch"),
        (["fix: a", "feat: b"], "1.2.3", "minor"),
        (["feat!: b"], "1.2.3", "major"),
        (["feat!: b"], "0.4.0", "minor"),
        (["docs: only docs", "chore: tidy"], "1.2.3", None),
    ],
)
def test_bump_follows_the_strongest_commit(
    subjects: list[str], current: str, expected: str | None
) -> None:
    commits = [parse_commit(f"{i:040x}", subject) for i, subject in enumerate(subjects)]
    assert bump_for(commits, Version(current)) == expected


types = st.sampled_from(["feat", "fix", "perf", "docs", "chore", "refactor"])
words = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=20)


@settings(suppress_health_check=[HealthCheck.too_slow])  # timing: benchmarks' job
@given(types, st.none() | words, st.booleans(), words)
def test_a_generated_header_parses_back(
    kind: str, scope: str | None, bang: bool, text: str
) -> None:
    subject = f"{kind}{f'({scope})' if scope else ''}{'!' if bang else ''}: {text}"
    commit = parse_commit("d" * 40, subject)
    assert (commit.type, commit.scope, commit.breaking, commit.description) == (
        kind,
        scope,
        bang,
        text,
    )


@settings(suppress_health_check=[HealthCheck.too_slow])  # timing: benchmarks' job
@given(st.text(), st.text())
def test_parsing_never_fails_on_any_text(subject: str, body: str) -> None:
    parse_commit("e" * 40, subject, body)


def test_section_lists_breaking_changes_first_then_groups_with_links() -> None:
    commits = [
        parse_commit("1" * 40, "fix(io): close files"),
        parse_commit("2" * 40, "feat: add momentum signal"),
        parse_commit("3" * 40, "feat(api)!: new order type"),
        parse_commit("4" * 40, "Tidy up"),
        parse_commit("5" * 40, "chore(release): v1.0.0"),
    ]
    text = render_section("2.0.0", date(2026, 11, 25), commits, link="https://github.com/team/repo")
    assert text.startswith("## [2.0.0] - 2026-11-25\n")
    order = [text.index(h) for h in ("### Breaking", "### Features", "### Fixes", "### Other")]
    assert order == sorted(order)
    assert "- **api:** new order type ([3333333](https://github.com/team/repo/commit/" in text
    assert "- **io:** close files" in text
    assert "v1.0.0" not in text  # release commits are not news


def test_new_section_goes_above_older_releases_and_below_unreleased() -> None:
    existing = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-01\n\n- old\n"
    updated = insert_section(existing, "## [1.1.0] - 2026-02-01\n\n- new\n")
    assert updated.index("[Unreleased]") < updated.index("[1.1.0]") < updated.index("[1.0.0]")
    assert updated.replace("## [1.1.0] - 2026-02-01\n\n- new\n\n", "") == existing


def test_a_missing_changelog_gets_a_header() -> None:
    assert insert_section(None, "## [1.0.0] - x\n").startswith("# Changelog\n")


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("git@github.com:team/repo.git", "https://github.com/team/repo"),
        ("https://gitlab.example.com/team/repo.git", "https://gitlab.example.com/team/repo"),
        ("https://user@host.example/team/repo", "https://host.example/team/repo"),
        ("/srv/git/repo.git", None),
        (None, None),
    ],
)
def test_web_url_of_a_remote(remote: str | None, expected: str | None) -> None:
    assert web_url(remote) == expected
