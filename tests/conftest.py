"""Fixtures every test gets: a private home for qdev's own files and a fixed git identity.

The uv cache stays the real one, so tests that run real uv reuse what is already downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REAL_UV_CACHE = os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("QDEV_") or name in {
            "NO_COLOR",
            "FORCE_COLOR",
            "VIRTUAL_ENV",
            "GIT_DIR",
        }:
            monkeypatch.delenv(name)
    monkeypatch.setenv("UV_CACHE_DIR", REAL_UV_CACHE)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (home / "gitconfig").write_text(
        "[user]\n\tname = Test Quant\n\temail = quant@example.com\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
    )
    return home
