"""Cache keys: what a step read (file content), its settings, tool versions, the interpreter.

Everything here is cheap on purpose: a warm `qdev check` is mostly this module.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qdev import __version__
from qdev.check.warm import relevant_environ

if TYPE_CHECKING:
    from qdev.check.steps import Step, StepContext

LOCK_PACKAGE = re.compile(r'^\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', re.MULTILINE)
KEY_FORMAT = 2  # bump when the key's ingredients change meaning


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


def installed(venv: Path) -> dict[str, str]:
    """What is installed in the environment, by normalized name: each distribution's version,
    from its metadata folder's name, and the content hash of each `.pth` file (editable
    installs). A package added, removed or changed outside uv.lock (`qdev env` with other
    options, `uv pip install`) changes it; reading it is one folder listing."""
    found: dict[str, str] = {}
    for site in site_folders(venv):
        try:
            entries = sorted(os.scandir(site), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            stem, dot, suffix = entry.name.rpartition(".")
            if dot and suffix in ("dist-info", "egg-info"):
                name, _, version = stem.rpartition("-")
                found[_normalized(name or stem)] = version
            elif dot and suffix == "pth":
                found[f"{entry.name} (pth)"] = _content_hash(Path(entry.path))
    return found


def site_folders(venv: Path) -> list[Path]:
    return sorted(venv.glob("lib*/python*/site-packages"))


def installed_paths(venv: Path) -> tuple[list[Path], list[Path]]:
    """What `installed` reads, for stat data: the folders down to each site-packages (their
    listings change when a package or a Python comes or goes), and the `.pth` files."""
    sites = site_folders(venv)
    folders = [venv, *venv.glob("lib*"), *venv.glob("lib*/python*"), *sites]
    files = [site / name for site in sites for name in os.listdir(site) if name.endswith(".pth")]
    return folders, files


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _content_hash(path: Path) -> str:
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=8).hexdigest()
    except OSError as exc:
        return f"error {exc.errno}"


# Config files the tools read from outside the repo (folders above it) when the repo has none.
AMBIENT_CONFIGS = (
    "pyproject.toml", "ruff.toml", ".ruff.toml", "pytest.ini", "tox.ini", "setup.cfg",
    "mypy.ini", ".mypy.ini",
)  # fmt: skip


def ambient(root: Path) -> dict[str, str]:
    """What the tools read from outside the repo: their environment variables, and their
    config files above the repo and in the user's config folder (content hashes)."""
    found = {name: value for name, value in relevant_environ() if not name.startswith("QDEV_")}
    for place in ambient_places(root):
        if place.is_file():
            found[str(place)] = _content_hash(place)
    return found


def ambient_places(root: Path) -> list[Path]:
    """Where the tools look for config outside the repo, whether a file is there or not."""
    home = Path.home()
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    places = [folder / name for folder in root.resolve().parents for name in AMBIENT_CONFIGS]
    places += [
        config_home / "ruff" / name for name in ("ruff.toml", ".ruff.toml", "pyproject.toml")
    ]
    places += [config_home / "mypy" / "config", home / ".mypy.ini"]
    return places


def interpreter(venv: Path) -> str:
    """The environment's Python version, from pyvenv.cfg."""
    try:
        text = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    match = re.search(r"^version(?:_info)?\s*=\s*(\S+)", text, re.MULTILINE)
    return match.group(1) if match else "unknown"


@dataclass(frozen=True)
class Environment:
    """What a step's tools run with: the locked versions, what is really installed, Python."""

    locked: dict[str, str]
    installed: dict[str, str]
    python: str
    outside: dict[str, str] = field(default_factory=dict)
    """What the tools read from outside the repo (`ambient`)."""

    @classmethod
    def of(cls, root: Path, venv: Path) -> Environment:
        return cls(lock_versions(root), installed(venv), interpreter(venv), ambient(root))

    def fingerprint(self) -> str:
        """All of it as one hash: what a tool's own cache of installed packages depends on."""
        blob = json.dumps([self.packages(("*",)), self.python, self.outside], sort_keys=True)
        return hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()

    def packages(self, wanted: tuple[str, ...]) -> Any:
        """The versions the key holds for a step's `packages` ("*": all of them, hashed)."""
        if "*" in wanted:
            blob = json.dumps([self.locked, self.installed], sort_keys=True).encode()
            return hashlib.blake2b(blob, digest_size=16).hexdigest()
        return {
            name: [self.locked.get(name), self.installed.get(_normalized(name))] for name in wanted
        }


def step_key(step: Step, ctx: StepContext, hashes: FileHashes, env: Environment) -> str:
    tools = env.packages(step.packages)
    python = env.python
    ingredients = {
        "format": KEY_FORMAT,
        "qdev": __version__,
        "step": step.name,
        "settings": step.settings(ctx),
        "tools": tools,
        "python": python,
        "outside": env.outside,
        "files": {path: hashes(path) for path in sorted(step.reads(ctx))},
    }
    blob = json.dumps(ingredients, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()
