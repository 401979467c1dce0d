"""Helpers for release tests: a small src-layout package (uv_build backend), a bare
repository as its remote, a snapshot of everything a release could touch, and a loopback
package index (pypiserver with htpasswd auth)."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PYPROJECT = """\
# The demo package: comments and layout must survive a release untouched.
[project]
name = "demo-pkg"
version = "0.1.0"   # bumped by qdev release
description = 'A demo'
requires-python = ">=3.11"
dependencies = []

[build-system]
requires = ["uv_build>=0.8,<0.14"]
build-backend = "uv_build"

[tool.qdev.release]
version_files = ["src/demo_pkg/__init__.py"]
"""


def git(cwd: Path, *args: str, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


@dataclass
class ReleaseRepo:
    root: Path
    remote: Path

    def commit(self, message: str, *, name: str | None = None) -> str:
        path = self.root / (name or f"notes/{len(list(self.root.glob('notes/*')))}.txt")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(message + "\n")
        git(self.root, "add", "--", str(path.relative_to(self.root)))
        git(self.root, "commit", "-q", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    def remote_refs(self) -> str:
        return git(self.remote, "for-each-ref", "--format=%(objectname) %(refname)")

    def set_config(self, text: str = "", *, release: str = "") -> None:
        """Add `release` lines to [tool.qdev.release] and `text` (more tables) at the end of
        pyproject.toml, commit and push it."""
        path = self.root / "pyproject.toml"
        header = "[tool.qdev.release]\n"
        path.write_text(path.read_text().replace(header, header + release) + text)
        git(self.root, "commit", "-q", "-am", "chore: configure qdev")
        git(self.root, "push", "-q", "origin", "main")


def make_repo(base: Path, *, with_remote: bool = True) -> ReleaseRepo:
    root = base / "demo"
    package = root / "src" / "demo_pkg"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (package / "__init__.py").write_text('"""Demo."""\n\n__version__ = "0.1.0"\n')
    (root / ".gitignore").write_text("__pycache__/\n*.log\n.venv/\n")
    (root / "ignored.log").write_text("ignored file, must survive\n")
    git(base, "init", "-q", "-b", "main", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: first version")
    git(root, "tag", "-a", "v0.1.0", "-m", "demo-pkg 0.1.0")
    repo = ReleaseRepo(root, base / "remote.git")
    if with_remote:
        git(base, "init", "-q", "--bare", str(repo.remote))
        git(root, "remote", "add", "origin", str(repo.remote))
        git(root, "push", "-q", "-u", "origin", "main", "v0.1.0")
    repo.commit("fix(core): handle empty input")
    repo.commit("feat: add a signal")
    if with_remote:
        git(root, "push", "-q", "origin", "main")
    return repo


# --- a package index on loopback -------------------------------------------------------------

INDEX_USER = "releaser"
INDEX_PASSWORD = "s3cret-for-tests"


@dataclass
class PackageIndex:
    url: str
    packages: Path

    @property
    def simple(self) -> str:
        return f"{self.url}simple/"

    def credentials(self) -> dict[str, str]:
        return {"UV_PUBLISH_USERNAME": INDEX_USER, "UV_PUBLISH_PASSWORD": INDEX_PASSWORD}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def snapshot(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, object]:
    """Everything a release could change: refs, tags, status, every file's bytes and mode.

    `skip` names top folders left out (qdev check's own cache, when the check guard runs).
    """
    files: dict[str, tuple[str, int]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in (".git", *skip) or not path.is_file():
            continue
        files[str(rel)] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mode)
    git_dir = root / ".git"
    return {
        "refs": git(root, "for-each-ref", "--format=%(objectname) %(objecttype) %(refname)"),
        "head": git(root, "symbolic-ref", "HEAD") + " " + git(root, "rev-parse", "HEAD"),
        "status": [
            line
            for line in git(root, "status", "--porcelain", "--ignored").splitlines()
            if line[3:].split("/")[0] not in skip
        ],
        "files": files,
        "release_state": sorted(p.name for p in git_dir.iterdir() if p.name.startswith("qdev-")),
    }


def release_at_fault(root: Path, fault: str) -> subprocess.CompletedProcess[str]:
    """A release with `fault` injected (QDEV_RELEASE_FAIL_AT, e.g. "push:term-after")."""
    return run_cli(root, "release", "--skip-checks", env={"QDEV_RELEASE_FAIL_AT": fault})


def crash(repo: ReleaseRepo, fault: str) -> None:
    """A release killed (SIGKILL) at `fault`, e.g. "commit:kill-after", as a crash would."""
    import signal

    killed = release_at_fault(repo.root, fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr


def run_cli(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """qdev in a real child process (no terminal), as a user or CI would run it."""
    return subprocess.run(
        [sys.executable, "-m", "qdev", *args],
        cwd=root,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


def synthetic_repo(case: str, target: Path) -> Path:
    """One of the made-up repos adoption is tested on (tests/adopt/synthetic.py), per version
    source and tag format; loaded by its path, as each test area is a package of its own."""
    import importlib.util

    name = "_adopt_synthetic"
    module = sys.modules.get(name)
    if module is None:
        path = Path(__file__).resolve().parents[1] / "adopt" / "synthetic.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look themselves up there
        spec.loader.exec_module(module)
    made: Path = module.make(case, target)
    return made
