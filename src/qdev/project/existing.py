"""What a folder already says before `qdev init` touches it: its config, pyproject and state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qdev.config.models import QdevConfig
from qdev.profile import state as profile_state
from qdev.project.facts import read_pyproject

USER_CODE = ("src/", "tests/")
"""An adopted repo's code is its own: the profile's sample package and tests are for new repos."""


@dataclass(frozen=True)
class ExistingRepo:
    """What the folder's own files already say."""

    config: QdevConfig | None = None
    explicit: frozenset[str] = frozenset()
    pyproject_name: str | None = None
    profile_dir: Path | None = None
    in_pyproject: bool = False
    """The repo keeps its qdev config in [tool.qdev] of pyproject.toml."""

    has_pyproject: bool = False
    rendered_before: frozenset[str] = frozenset()
    """Files the profile rendered here before, from .qdev/state.toml."""
    unpackaged: bool = False
    """Its pyproject.toml has no [build-system]: how (whether) it is built stays its choice."""

    def owns(self, path: str) -> bool:
        """Whether the profile may write `path`: a project's own code stays its own.

        The profile's sample package and tests go to new repos only, and back to repos where
        qdev put them (a second `qdev init` changes nothing).
        """
        fresh = not self.has_pyproject or path in self.rendered_before
        return fresh or not path.startswith(USER_CODE)


def read_existing(root: Path) -> ExistingRepo:
    if not root.is_dir():
        return ExistingRepo()
    pyproject = read_pyproject(root / "pyproject.toml")
    pyproject_name = _project_name(pyproject)
    has_pyproject = pyproject is not None
    unpackaged = pyproject is not None and "build-system" not in pyproject
    recorded = profile_state.read(root)
    before = frozenset(recorded.files) if recorded else frozenset()
    if not ((root / "qdev.toml").is_file() or has_pyproject):
        return ExistingRepo(rendered_before=before)
    from qdev.config.loader import load_config

    loaded = load_config(root)
    if loaded.root.resolve() != root.resolve() or loaded.config_file is None:
        return ExistingRepo(
            pyproject_name=pyproject_name,
            has_pyproject=has_pyproject,
            rendered_before=before,
            unpackaged=unpackaged,
        )
    in_pyproject = loaded.config_file.name == "pyproject.toml"
    explicit = frozenset(loaded.sources)
    return ExistingRepo(
        loaded.config,
        explicit,
        pyproject_name,
        loaded.profile_dir,
        in_pyproject,
        has_pyproject,
        before,
        unpackaged,
    )


def _project_name(pyproject: dict[str, Any] | None) -> str | None:
    project = (pyproject or {}).get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) else None
