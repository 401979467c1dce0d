"""Taking a release's change back out of a file edited after the release stopped."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdev.release.reverse import take_out

PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\n\n[tool.x]\na = 1\n'


def test_a_version_line_goes_back_and_an_edit_next_to_it_stays() -> None:
    new = PYPROJECT.replace("0.1.0", "0.2.0")
    edited = new.replace('version = "0.2.0"\n', 'version = "0.2.0"\ndescription = "mine"\n')
    assert take_out(edited, new, PYPROJECT) == PYPROJECT.replace(
        'version = "0.1.0"\n', 'version = "0.1.0"\ndescription = "mine"\n'
    )


def test_an_inserted_changelog_section_comes_out_and_the_users_lines_stay() -> None:
    original = "# Changelog\n\n## [Unreleased]\n\n## [0.1.0]\n- first\n"
    new = original.replace("## [0.1.0]", "## [0.2.0]\n- feat\n\n## [0.1.0]")
    edited = new.replace("## [Unreleased]\n", "## [Unreleased]\n- my note\n")
    assert take_out(edited, new, original) == original.replace(
        "## [Unreleased]\n", "## [Unreleased]\n- my note\n"
    )


def test_a_changed_line_that_is_not_unique_is_found_by_its_context() -> None:
    original = (
        '[[package]]\nname = "a"\nversion = "0.1.0"\n\n[[package]]\nname = "b"\nversion = "0.2.0"\n'
    )
    new = original.replace('name = "a"\nversion = "0.1.0"', 'name = "a"\nversion = "0.2.0"')
    assert take_out(new + "# mine\n", new, original) == original + "# mine\n"


def test_a_block_the_user_rewrote_is_not_guessed() -> None:
    new = PYPROJECT.replace("0.1.0", "0.2.0")
    edited = new.replace('version = "0.2.0"', 'version = "9.9.9"')
    assert take_out(edited, new, PYPROJECT) is None


_lines = st.lists(st.text(alphabet="abc =\"'.", max_size=6), max_size=8)


@settings(suppress_health_check=[HealthCheck.too_slow])  # timing: benchmarks' job
@given(original=_lines, new=_lines)
def test_taking_a_change_out_of_the_unedited_file_gives_the_original_or_nothing(
    original: list[str], new: list[str]
) -> None:
    before = "".join(f"{line}\n" for line in original)
    after = "".join(f"{line}\n" for line in new)
    assert take_out(after, after, before) in (before, None)


@settings(suppress_health_check=[HealthCheck.too_slow])  # timing: benchmarks' job
@given(original=_lines, new=_lines, mine=st.text(alphabet="xyz", min_size=1, max_size=5))
def test_an_appended_unique_line_survives_or_nothing_is_guessed(
    original: list[str], new: list[str], mine: str
) -> None:
    before = "".join(f"{line}\n" for line in original)
    after = "".join(f"{line}\n" for line in new)
    result = take_out(f"{after}{mine}!\n", after, before)
    assert result is None or f"{mine}!\n" in result
