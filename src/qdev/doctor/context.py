"""What every diagnosis may ask: the repo (if any), its configuration, its profile, the tools.

Built once per `qdev doctor` run; diagnoses run in threads, so whatever two of them need (the
qdev first on PATH, the git work tree's top) is computed once through `remember`.
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from qdev.errors import QdevError

if TYPE_CHECKING:
    from qdev.config.loader import LoadedConfig
    from qdev.config.models import QdevConfig
    from qdev.profile.source import Profile

T = TypeVar("T")
REPO_FILES = ("pyproject.toml", "qdev.toml")


@dataclass
class DoctorContext:
    start: Path
    root: Path | None
    """The repo: the nearest folder holding pyproject.toml or qdev.toml; None outside one."""
    loaded: LoadedConfig | None
    config_error: QdevError | None
    """Why the configuration could not be loaded, when it could not."""
    profile: Profile | None
    profile_error: str | None = None
    _memo: dict[str, object] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def config(self) -> QdevConfig:
        if self.loaded is None:  # diagnoses that read it require the "config" diagnosis
            raise RuntimeError("the configuration was not loaded")
        return self.loaded.config

    def remember(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()` once per run, however many diagnoses ask (from whichever thread)."""
        with self._lock:
            if key not in self._memo:
                self._memo[key] = compute()
            return cast(T, self._memo[key])

    def git_root(self) -> Path | None:
        """The top of the git work tree holding the repo; None outside one (or outside a repo)."""
        root = self.root
        if root is None:
            return None
        from qdev.tools import git

        return self.remember("git-root", lambda: git.toplevel(root))

    def minimum(self, tool: str) -> str | None:
        """The profile's minimum version of `tool`, from [requires] in its profile.toml."""
        return required_versions(self.profile).get(tool)


def required_versions(profile: Profile | None) -> dict[str, str]:
    if profile is None:
        return {}
    from qdev.profile.source import PROFILE_FILE

    try:
        data = tomllib.loads((profile.root / PROFILE_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    table = data.get("requires", {})
    if not isinstance(table, dict):
        return {}
    return {str(tool): str(version) for tool, version in table.items()}


def build_context(start: Path) -> DoctorContext:
    from qdev.config.loader import load_config

    start = start.absolute()
    root = find_root(start)
    loaded: LoadedConfig | None = None
    error: QdevError | None = None
    try:
        loaded = load_config(start)
    except QdevError as exc:
        error = exc
    profile, profile_error = _profile(loaded)
    return DoctorContext(start, root, loaded, error, profile, profile_error)


def find_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in REPO_FILES):
            return folder
    return None


def _profile(loaded: LoadedConfig | None) -> tuple[Profile | None, str | None]:
    """The repo's team profile (the built-in one when it names none)."""
    from qdev.profile import source

    try:
        folder = loaded.profile_dir if loaded is not None else None
        if folder is None:
            return source.builtin(), None
        if folder.resolve().parent == source.BUILTIN_DIR.resolve():
            return source.builtin(folder.name), None
        return source.from_folder(folder), None
    except QdevError as exc:
        return None, exc.render()
