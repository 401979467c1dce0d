"""Rendering templates: placeholders only, unknown ones refused, layers override common files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from qdev.profile import source
from qdev.profile.render import render_profile, render_text
from qdev.profile.source import ProfileError

VARS = {"name": "demo", "package": "demo"}


def test_placeholders_are_replaced_with_or_without_spaces() -> None:
    assert render_text("{{ name }}/{{package}}", VARS, where="t") == "demo/demo"


def test_github_expressions_are_left_alone() -> None:
    text = "python-version: ${{ matrix.python }}"
    assert render_text(text, VARS, where="t") == text


def test_an_unknown_placeholder_names_the_file_and_the_known_names() -> None:
    with pytest.raises(
        ProfileError, match=r"ci\.yml: unknown placeholder \{\{ nmae \}\}"
    ) as caught:
        render_text("{{ nmae }}", VARS, where="ci.yml")
    assert caught.value.fix is not None
    assert "name" in caught.value.fix


def _copy_builtin(tmp_path: Path) -> Path:
    folder = tmp_path / "team"
    shutil.copytree(source.builtin_path(), folder)
    return folder


def test_a_kind_file_replaces_the_common_one_and_paths_are_rendered(tmp_path: Path) -> None:
    profile = source.from_folder(_copy_builtin(tmp_path))
    variables = {**profile.variables, **_all_variables()}
    library = {f.path: f.content for f in render_profile(profile, "library", "github", variables)}
    research = {f.path: f.content for f in render_profile(profile, "research", "gitlab", variables)}
    assert "src/demo/core.py" in library
    assert b"nbstripout" in research["pyproject.toml"]
    assert b"nbstripout" not in library["pyproject.toml"]
    assert ".gitlab-ci.yml" in research
    assert ".github/workflows/ci.yml" not in research
    assert "notebooks/explore.ipynb" in research
    assert "notebooks/explore.ipynb" not in library


def test_files_without_the_tmpl_suffix_are_copied_byte_for_byte(tmp_path: Path) -> None:
    folder = _copy_builtin(tmp_path)
    blob = bytes(range(256))
    (folder / "templates" / "common" / "logo.bin").write_bytes(blob)
    profile = source.from_folder(folder)
    rendered = {
        f.path: f.content for f in render_profile(profile, "library", "github", _all_variables())
    }
    assert rendered["logo.bin"] == blob


def _all_variables() -> dict[str, str]:
    from qdev.project.existing import ExistingRepo
    from qdev.project.settings import InitOptions, resolve_settings, variables

    settings = resolve_settings(InitOptions(Path("demo")), Path("/tmp/demo"), ExistingRepo(), None)
    return variables(settings)


def test_the_generated_ci_runs_the_drift_check_and_the_hook_refuses_sync_conflicts() -> None:
    from qdev.profile import source
    from qdev.profile.render import render_profile

    profile = source.builtin()
    names = re.findall(
        r"\{\{\s*(\w+)\s*\}\}",
        "".join(p.read_text() for p in profile.templates.rglob("*.tmpl"))
        + "".join(str(p) for p in profile.templates.rglob("*")),
    )
    variables = dict.fromkeys(names, "x")
    for provider, path in (("github", ".github/workflows/ci.yml"), ("gitlab", ".gitlab-ci.yml")):
        files = {
            f.path: f.content for f in render_profile(profile, "research", provider, variables)
        }
        assert b"qdev sync --check" in files[path]
        assert b"entry: qdev sync --check --conflicts-only" in files[".pre-commit-config.yaml"]
