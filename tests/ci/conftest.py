"""The pieces the pipeline harness runs against, made once per session and shared by workers.

- a qdev wheel built from this checkout (`uv build`), served by a pypiserver on loopback that
  needs a login to read (the team's private index);
- a team profile (a copy of the built-in one) that pins that qdev and names that index;
- one repo of each kind made from the profile by `qdev init`, with its `uv.lock`, committed.

Each test pushes a copy of a repo to its own bare remote, which the harness clones.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomlkit
from filelock import FileLock

from qdev import __version__
from qdev.profile.source import BUILTIN_DIR
from qdev.tools import process

from .harness import CacheStore, Remote, Shared

ROOT = Path(__file__).resolve().parents[2]
PYTHONS = ("3.11", "3.12")
INDEX_LOGIN = ("ci-bot", "index-pa55")
"""The team index's one login: reading (installing qdev) and publishing releases."""
ServeIndex = Callable[..., str]


@dataclass(frozen=True)
class TeamIndex:
    url: str
    packages: Path

    @property
    def simple(self) -> str:
        return f"{self.url}simple/"


@dataclass(frozen=True)
class Team:
    folder: Path
    """Holds `profile/` and the repos, `<kind>-<provider>/`, each made on first use."""
    index: TeamIndex
    git_env: dict[str, str]

    @property
    def profile(self) -> Path:
        return self.folder / "profile"

    def repo(self, kind: str, provider: str = "github") -> Path:
        """The repo of `kind` that `qdev init --ci PROVIDER` made, locked and committed."""
        repo = self.folder / f"{kind}-{provider}"
        if not repo.exists():
            _make_repo(self.folder, kind, provider, self.git_env)
        return repo


@pytest.fixture(scope="session")
def harness_shared(shared_dir: Path) -> Shared:
    home_cache = Path.home() / ".cache"  # the machine's download caches, as the suite's own
    uv_cache = Path(os.environ.get("UV_CACHE_DIR") or home_cache / "uv")
    pip_cache = Path(os.environ.get("PIP_CACHE_DIR") or home_cache / "pip")
    return Shared(uv_cache, pip_cache, shared_dir / "ci-tools")


@pytest.fixture(scope="session")
def qdev_wheel(shared_dir: Path) -> Path:
    """qdev built from this checkout, once per session."""
    folder = shared_dir / "ci-wheel"
    with FileLock(str(folder) + ".lock"):
        wheels = list(folder.glob("qdev-*.whl"))
        if not wheels:
            built = process.run(
                [process.find_uv(), "build", "--wheel", "--out-dir", str(folder), str(ROOT)],
                timeout=300,
            )
            assert built.ok, built.output
            wheels = list(folder.glob("qdev-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="session")
def team_index(
    tmp_path_factory: pytest.TempPathFactory, serve_index: ServeIndex, qdev_wheel: Path
) -> TeamIndex:
    packages = tmp_path_factory.mktemp("team-index")
    shutil.copy(qdev_wheel, packages)
    url = serve_index(packages, INDEX_LOGIN, "update,download,list")
    return TeamIndex(url, packages)


@pytest.fixture(scope="session")
def team(shared_dir: Path, team_index: TeamIndex, worker_id: str) -> Team:
    """The team profile and a committed repo of each kind (per worker: the index URL differs)."""
    folder = shared_dir / f"ci-team-{worker_id}"
    shutil.rmtree(folder, ignore_errors=True)
    _profile(folder / "profile", team_index)
    home = shared_dir / f"ci-home-{worker_id}"
    home.mkdir(parents=True, exist_ok=True)
    (home / "gitconfig").write_text(
        "[user]\n\tname = Test Quant\n\temail = quant@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    git_env = {
        "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "UV_PYTHON_DOWNLOADS": "never",
        "NO_COLOR": "1",
    }
    return Team(folder, team_index, git_env)


def _profile(folder: Path, index: TeamIndex) -> None:
    shutil.copytree(BUILTIN_DIR / "default", folder)
    path = folder / "profile.toml"
    profile = tomlkit.parse(path.read_text())
    variables = profile["variables"]
    assert isinstance(variables, dict)
    variables["qdev_requirement"] = f"qdev=={__version__}"
    variables["qdev_index"] = index.simple
    path.write_text(tomlkit.dumps(profile))


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = process.run(argv, cwd=cwd, env=process.child_env(env), timeout=300)
    assert done.ok, done.output


def _make_repo(folder: Path, kind: str, provider: str, env: dict[str, str]) -> None:
    pythons = [arg for version in PYTHONS for arg in ("--python", version)]
    name = f"{kind}-{provider}"
    _run(
        [sys.executable, "-m", "qdev", "init", name, "--name", kind, "--profile", "profile",
         "--kind", kind, "--ci", provider, *pythons, "--yes", "--no-env"],
        folder, env,
    )  # fmt: skip
    repo = folder / name
    twin = folder / f"{kind}-{'gitlab' if provider == 'github' else 'github'}" / "uv.lock"
    if twin.is_file():  # the same pyproject.toml: the same lock
        shutil.copy(twin, repo / "uv.lock")
    else:
        _run([process.find_uv(), "lock", "--quiet"], repo, env)
    _run(["git", "add", "-A"], repo, env)
    _run(["git", "commit", "-q", "-m", f"Start the {kind} repo"], repo, env)


Push = Callable[[str, str], Remote]


@pytest.fixture
def push(team: Team, tmp_path: Path) -> Push:
    """`push(kind, provider)`: the team's repo pushed to a new bare remote of this test."""

    def make(kind: str, provider: str) -> Remote:
        bare = tmp_path / "remotes" / f"{kind}-{provider}.git"
        repo = team.repo(kind, provider)
        done = process.run(["git", "clone", "-q", "--bare", str(repo), str(bare)])
        assert done.ok, done.output
        return Remote(bare, "main", beside={"../profile": team.profile})

    return make


@pytest.fixture
def caches(tmp_path: Path) -> CacheStore:
    """The CI service's cache of one repo: shared by the runs of one test."""
    return CacheStore(tmp_path / "ci-cache")
