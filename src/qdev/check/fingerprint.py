"""Cache keys: what a step read (file content), its settings, tool versions, the interpreter.

Everything here is cheap on purpose: a warm `qdev check` is mostly this module.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from qdev import __version__
from qdev.check.steps import Step, StepContext

LOCK_PACKAGE = re.compile(r'^\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', re.MULTILINE)
KEY_FORMAT = 1  # bump when the key's ingredients change meaning


class FileHashes:
    """Content hashes of tracked files, each file read at most once per run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._known: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        if path not in self._known:
            self._known[path] = self._hash(path)
        return self._known[path]

    def _hash(self, path: str) -> str:
        try:
            data = (self.root / path).read_bytes()
        except FileNotFoundError:
            return "deleted"
        except IsADirectoryError:  # a submodule
            return "folder"
        except OSError as exc:  # unreadable: still a key, and the step will say why
            return f"error {exc.errno}"
        if path == "pyproject.toml" or path.endswith("/pyproject.toml"):
            data = _without_qdev_table(data)
        return hashlib.blake2b(data, digest_size=16).hexdigest()


def _without_qdev_table(data: bytes) -> bytes:
    """pyproject.toml less [tool.qdev]: qdev's settings reach a step through its own settings,
    so changing one of them reruns only the step it configures."""
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return data
    parsed.get("tool", {}).pop("qdev", None)
    return json.dumps(parsed, sort_keys=True, default=str).encode()


def lock_versions(root: Path) -> dict[str, str]:
    """Locked package versions by name, read from uv.lock without a TOML parser."""
    try:
        text = (root / "uv.lock").read_text(encoding="utf-8")
    except OSError:
        return {}
    return dict(LOCK_PACKAGE.findall(text))


def interpreter(venv: Path) -> str:
    """The environment's Python version, from pyvenv.cfg."""
    try:
        text = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    match = re.search(r"^version(?:_info)?\s*=\s*(\S+)", text, re.MULTILINE)
    return match.group(1) if match else "unknown"


def step_key(
    step: Step, ctx: StepContext, hashes: FileHashes, locked: dict[str, str], python: str
) -> str:
    if "*" in step.packages:
        tools: Any = hashlib.blake2b(
            json.dumps(locked, sort_keys=True).encode(), digest_size=16
        ).hexdigest()
    else:
        tools = {name: locked.get(name) for name in step.packages}
    ingredients = {
        "format": KEY_FORMAT,
        "qdev": __version__,
        "step": step.name,
        "settings": step.settings(ctx),
        "tools": tools,
        "python": python,
        "files": {path: hashes(path) for path in sorted(step.reads(ctx))},
    }
    blob = json.dumps(ingredients, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()
