"""The corpus of real projects: download each pinned sdist once, check its hash, make it a repo.

The sdists are cached outside this repository, under QDEV_TEST_CORPUS_CACHE or
~/.cache/qdev-tests/corpus, so a second run downloads nothing. `make_repo` unpacks one into a
folder, drops what building the sdist generated (PKG-INFO, *.egg-info), and makes it a git repo
on the project's real default branch with a tag at the sdist's version in the project's real
tag format, then one commit after the tag: what a team member's clone looks like.
Also used by benchmarks/adopt_bench.py.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from qdev.tools import process

PROJECTS_FILE = Path(__file__).with_name("projects.toml")
CACHE_ENV = "QDEV_TEST_CORPUS_CACHE"
GENERATED_BY_SDIST = ("PKG-INFO",)


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    url: str
    sha256: str
    branch: str
    tag_format: str
    expect: str
    why: str
    test_args: tuple[str, ...] = ()
    """The part of the project's own tests the corpus runs (all of them is minutes for some)."""

    @property
    def tag(self) -> str:
        return self.tag_format.format(version=self.version)


def projects() -> dict[str, Project]:
    data = tomllib.loads(PROJECTS_FILE.read_text())
    return {
        name: Project(name=name, **{**fields, "test_args": tuple(fields.get("test_args", ()))})
        for name, fields in data.items()
    }


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "qdev-tests" / "corpus"


def sdist(project: Project) -> Path:
    """The project's sdist from the cache, downloaded (and hash-checked) when missing."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / project.url.rsplit("/", 1)[-1]
    with FileLock(str(target) + ".lock"):
        if target.is_file() and _sha256(target) == project.sha256:
            return target
        partial = target.with_suffix(target.suffix + ".part")
        with urllib.request.urlopen(project.url, timeout=120) as response:
            partial.write_bytes(response.read())
        got = _sha256(partial)
        if got != project.sha256:
            partial.unlink()
            raise AssertionError(f"{project.url}: sha256 {got}, pinned {project.sha256}")
        partial.replace(target)
    return target


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_repo(project: Project, target: Path) -> Path:
    """The sdist unpacked at `target` as a git repo: tagged release, one commit after it."""
    archive = sdist(project)
    staging = target.with_name(target.name + ".unpack")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(staging, filter="data")
    (top,) = list(staging.iterdir())
    top.rename(target)
    staging.rmdir()
    for name in GENERATED_BY_SDIST:
        (target / name).unlink(missing_ok=True)
    for info in [*target.glob("*.egg-info"), *target.glob("src/*.egg-info")]:
        shutil.rmtree(info)
    _git(target, "init", "-q", "-b", project.branch)
    _git(target, "add", "--all", "--force")
    _git(target, "commit", "-q", "--no-verify", "-m", f"{project.name} {project.version}")
    _git(target, "tag", "-a", project.tag, "-m", f"Release {project.version}")
    contributing = target / "CHANGES.qdev-corpus.md"
    contributing.write_text("A fix since the release.\n")
    _git(target, "add", contributing.name)
    _git(target, "commit", "-q", "--no-verify", "-m", "fix: a change since the release")
    return target


def _git(repo: Path, *args: str) -> str:
    result = process.run(["git", *args], cwd=repo)
    if not result.ok:
        raise AssertionError(f"git {' '.join(args)} failed in {repo}: {result.output}")
    return result.stdout
