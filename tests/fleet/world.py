"""The acceptance fleet: 50 repos made by `qdev init` from a git team profile (tags v1.0.0,
v2.0.0, v3.0.0) at mixed refs, each with a local bare remote, and planted conditions.

    <world>/profile/         the team profile repository, made by `qdev profile new`
    <world>/repos/rNN/       the work trees (origin: <world>/remotes/rNN.git)
    <world>/remotes/rNN.git  bare remotes
    <world>/fleet.toml       r00-r47 by path, r48 and r49 by URL (r49's remote is gone)

Built once per test session (under a file lock shared by the xdist workers) and copied per test
with `copy_world`, which points every remote and URL at the copy.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from qdev.__main__ import main

COUNT = 50
KINDS = ("library", "research", "service")
REFS = ("v1.0.0", "v2.0.0", "v3.0.0")
GIT_ID = ["-c", "user.name=Fleet Keeper", "-c", "user.email=keeper@example.com"]

EDITED = "r03"
"""v1.0.0: a managed file (noxfile.py) edited and committed: drift `file edited`."""
CONFLICT = "r06"
"""v1.0.0: pyproject's line-length set to 120, which v2.0.0 changes to 110: a sync conflict."""
BROKEN = "r09"
"""v1.0.0: qdev.toml with an invalid value: config invalid."""
FAILING = "r12"
"""v1.0.0, with an environment: a failing test, `qdev check test` run: check failed."""
PASSING = "r15"
"""v1.0.0, with an environment: `qdev check test` run and passed."""
UNRELEASED = "r18"
"""v1.0.0: tagged v0.1.0, then 3 more commits."""
RELEASED = "r21"
"""v1.0.0: tagged v0.1.0 at its head."""
OLD = "r24"
"""v1.0.0: its head commit is 400 days old."""
DELETED = "r28"
"""v2.0.0: a managed file (.editorconfig) deleted and committed: drift `file deleted`."""
BY_URL = "r48"
"""Listed by URL: cloned into the cache."""
UNREACHABLE = "r49"
"""Listed by URL, and its remote is gone."""
WITH_ENV = (FAILING, PASSING)


def names() -> list[str]:
    return [f"r{i:02d}" for i in range(COUNT)]


def kind_of(name: str) -> str:
    return KINDS[int(name[1:]) % 3]


def ref_of(name: str) -> str:
    if name in (EDITED, CONFLICT, BROKEN, FAILING, PASSING, UNRELEASED, RELEASED, OLD):
        return "v1.0.0"
    if name == DELETED:
        return "v2.0.0"
    return REFS[(int(name[1:]) // 3) % 3]


def group_of(name: str) -> str:
    return "rates" if int(name[1:]) % 2 == 0 else "risk"


def tags_of(name: str) -> list[str]:
    return ["prod"] if int(name[1:]) % 5 == 0 else []


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", *GIT_ID, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}: {done.stderr}")
    return done.stdout


def qdev(*args: str | Path) -> None:
    code = main(["-q", *(str(a) for a in args)])
    assert code == 0, f"qdev {' '.join(str(a) for a in args)} exited {code}"


def build_profile(folder: Path) -> None:
    qdev("profile", "new", folder, "--name", "team")
    _release(folder, "1.0.0")
    for kind in ("common", "research", "service"):
        _edit(
            folder / "templates" / kind / "pyproject.toml.tmpl",
            "line-length = 100",
            "line-length = 110",
        )
    (folder / "templates" / "common" / ".editorconfig.tmpl").write_text("root = true\n")
    with (folder / "profile.toml").open("a") as handle:
        handle.write('\n[[migrations]]\nversion = "2.0.0"\nnote = "110-character lines."\n')
    _release(folder, "2.0.0")
    _edit(folder / "profile.toml", "[variables]\n", '[variables]\nteam_channel = "#quant-dev"\n')
    with (folder / "templates" / "common" / "README.md.tmpl").open("a") as handle:
        handle.write("\nQuestions go to {{ team_channel }}.\n")
    _release(folder, "3.0.0")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _release(profile: Path, version: str) -> None:
    manifest = profile / "profile.toml"
    text = re.sub(
        r'^version = ".*"$', f'version = "{version}"', manifest.read_text(), count=1, flags=re.M
    )
    manifest.write_text(text)
    git(profile, "add", "--all")
    git(profile, "commit", "-q", "-m", f"Profile {version}")
    git(profile, "tag", "-a", f"v{version}", "-m", f"Profile {version}")


def make_repo(world: Path, name: str) -> Path:
    repo = world / "repos" / name
    repo.mkdir(parents=True)
    (repo / "qdev.toml").write_text(
        f'[extends]\ngit = "{world / "profile"}"\nref = "{ref_of(name)}"\n'
    )
    no_env = [] if name in WITH_ENV else ["--no-env"]
    qdev("init", repo, "--kind", kind_of(name), "--yes", "--commit", *no_env)
    return repo


def commit(repo: Path, message: str, env: dict[str, str] | None = None) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "--no-verify", "-m", message, env=env)


def plant(world: Path) -> None:
    repos = world / "repos"
    with (repos / EDITED / "noxfile.py").open("a") as handle:
        handle.write("# our own session tweak\n")
    commit(repos / EDITED, "Tweak the noxfile")
    _edit(repos / CONFLICT / "pyproject.toml", "line-length = 100", "line-length = 120")
    commit(repos / CONFLICT, "Longer lines")
    with (repos / BROKEN / "qdev.toml").open("a") as handle:
        handle.write('\n[check]\ncoverage = "lots"\n')
    commit(repos / BROKEN, "A broken config")
    _plant_checks(repos)
    git(repos / UNRELEASED, "tag", "-a", "v0.1.0", "-m", "Release 0.1.0")
    for n in range(3):
        (repos / UNRELEASED / f"notes{n}.md").write_text(f"note {n}\n")
        commit(repos / UNRELEASED, f"feat: note {n}")
    git(repos / RELEASED, "tag", "-a", "v0.1.0", "-m", "Release 0.1.0")
    old = "2024-01-01T12:00:00+00:00"
    (repos / OLD / "OLD.md").write_text("untouched for long\n")
    commit(repos / OLD, "An old change", env={"GIT_AUTHOR_DATE": old, "GIT_COMMITTER_DATE": old})
    (repos / DELETED / ".editorconfig").unlink()
    commit(repos / DELETED, "No editorconfig here")


def _plant_checks(repos: Path) -> None:
    failing = repos / FAILING / "tests" / "test_planted.py"
    failing.write_text("def test_planted_failure() -> None:\n    assert 1 + 1 == 3\n")
    commit(repos / FAILING, "A failing test")
    for name in WITH_ENV:
        cwd = Path.cwd()
        os.chdir(repos / name)
        try:
            main(["-q", "check", "test"])
        finally:
            os.chdir(cwd)
        # Its results are in the check cache now; copies never take the environment, and it is
        # most of the world's files.
        shutil.rmtree(repos / name / ".venv")


def add_remotes(world: Path) -> None:
    remotes = world / "remotes"
    remotes.mkdir()
    for name in names():
        repo, bare = world / "repos" / name, remotes / f"{name}.git"
        git(world, "clone", "-q", "--bare", str(repo), str(bare))
        git(repo, "remote", "add", "origin", str(bare))
        git(repo, "fetch", "-q", "origin")
        git(repo, "branch", "-q", "--set-upstream-to=origin/main", "main")


def write_fleet(world: Path) -> None:
    lines = ["# The acceptance fleet\n"]
    for name in names():
        where = (
            f'url = "{world / "remotes" / f"{name}.git"}"'
            if name in (BY_URL, UNREACHABLE)
            else f'path = "repos/{name}"'
        )
        tags = ", ".join(f'"{t}"' for t in tags_of(name))
        lines.append(f'\n[repos.{name}]\n{where}\ngroup = "{group_of(name)}"\ntags = [{tags}]\n')
    (world / "fleet.toml").write_text("".join(lines))


def build_world(world: Path) -> None:
    world.mkdir(parents=True)
    build_profile(world / "profile")
    for name in names():
        make_repo(world, name)
    plant(world)
    add_remotes(world)
    write_fleet(world)


def copy_world(world: Path, target: Path) -> Path:
    """A private copy of the world (no environments), its remotes and URLs pointing at itself;
    the profile stays the shared one (read only)."""

    def skipped(folder: str, entries: list[str]) -> list[str]:
        top = Path(folder) == world
        return [e for e in entries if e == ".venv" or (top and e in ("profile", "done"))]

    shutil.copytree(world, target, symlinks=True, ignore=skipped)
    old, new = str(world / "remotes"), str(target / "remotes")
    for config in (target / "repos").glob("*/.git/config"):
        config.write_text(config.read_text().replace(old, new))
    fleet = target / "fleet.toml"
    fleet.write_text(fleet.read_text().replace(old, new))
    shutil.rmtree(target / "remotes" / f"{UNREACHABLE}.git")
    return target
