"""Where pyenv keeps the interpreters a repo supports.

pyenv's shims answer only for the versions pyenv has activated, and on the team's machines uv may
not download interpreters, so qdev looks in pyenv's versions folder itself.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def pyenv_versions_dir() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"


def newest_pyenv_install(minor: str) -> Path | None:
    """The folder of the newest installed patch release of `minor` (e.g. "3.12"), or None."""
    candidates = [
        folder
        for folder in pyenv_versions_dir().glob(f"{minor}.*")
        if folder.name.count(".") == 2 and (folder / "bin" / f"python{minor}").exists()
    ]
    return max(candidates, key=_patch_level, default=None)


def pyenv_bin_dirs(minors: Sequence[str]) -> list[Path]:
    """The `bin` folders of the newest install of each of `minors`, skipping missing ones."""
    found = (newest_pyenv_install(minor) for minor in minors)
    return [folder / "bin" for folder in found if folder is not None]


def _patch_level(folder: Path) -> int:
    patch = folder.name.rsplit(".", 1)[-1]
    return int(patch) if patch.isdigit() else -1
