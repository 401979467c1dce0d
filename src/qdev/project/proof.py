"""An adoption proves itself before it touches the repo.

In a scratch copy of the repo (its tracked and new files, and a clone of its git history so
versions from tags still resolve), the wheel is built as the repo stands, the adoption's files
are written, `pyproject.toml` is validated (validate-pyproject) and the wheel is built again.
The adoption goes ahead only when both wheels hold the same `.py` files: a difference, an
invalid pyproject or a build that no longer works refuses it (exit 4) with the reason, and the
repo is never touched. A repo whose wheel does not build as it stands cannot be proved: that is
said, and adoption goes on (it cannot break what was already broken).
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qdev.errors import GuardRefused
from qdev.profile.apply import Plan
from qdev.project.facts import RepoFacts
from qdev.tools import process

BUILD_TIMEOUT = 600.0
SKIPPED = (".venv", ".git", ".nox", ".tox", "dist", "build", "__pycache__", ".mypy_cache")


class AdoptionRefused(GuardRefused):
    """The adoption would change what the project ships, or break its build."""


class ShipsNewFiles(AdoptionRefused):
    """The only difference: files the adoption creates would ship in the wheel."""

    def __init__(self, message: str, paths: tuple[str, ...]) -> None:
        super().__init__(message)
        self.paths = paths


@dataclass(frozen=True)
class Wheel:
    name: str
    python_files: frozenset[str]


def wheel_before(root: Path, facts: RepoFacts) -> Wheel | str:
    """The wheel of the repo as it stands, built in a scratch copy (or why it did not build)."""
    with _scratch(root, facts) as copy:
        return build_wheel(copy)


def prove(root: Path, facts: RepoFacts, plan: Plan, before: Wheel | str | None = None) -> str:
    """Build before and after in scratch copies; refuse on any difference; say what was proved.

    Each build gets its own copy: a build leaves files behind (build/, *.egg-info, a written
    _version.py) that a second build in the same folder could pick up. `before` is given when
    the repo was already changed (a migration) since it stood as the user had it.
    """
    if before is None:
        before = wheel_before(root, facts)
    with _scratch(root, facts) as copy:
        _write_plan(copy, plan)
        _validate(copy)
        after = build_wheel(copy) if not isinstance(before, str) else None
    if isinstance(before, str):
        return (
            "proof: the wheel does not build as the repo stands, so the adoption could not be "
            f"compared ({_last_line(before)})"
        )
    if isinstance(after, str) or after is None:
        raise AdoptionRefused(
            f"the adoption would break the build; nothing was changed:\n{after}",
            fix="report this to the qdev maintainers with the repo's pyproject.toml",
        )
    _compare(before, after, plan)
    count = len(after.python_files)
    return f"proof: {after.name} built before and after; the same {count} .py files in both"


def build_wheel(source: Path) -> Wheel | str:
    """The wheel `uv build` makes of `source`, or uv's output when the build fails."""
    from qdev.environment import uv_binary

    with tempfile.TemporaryDirectory(prefix="qdev-wheel-") as out:
        result = process.run(
            [uv_binary(), "build", "--wheel", "--out-dir", out, str(source)],
            cwd=source,
            env=process.child_env(
                {"UV_NO_PROGRESS": "1"},
                drop=("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON"),
            ),
            timeout=BUILD_TIMEOUT,
        )
        wheels = sorted(Path(out).glob("*.whl"))
        if not result.ok or not wheels:
            return result.output.strip() or f"uv build exited with {result.returncode}"
        return Wheel(wheels[0].name, wheel_python_files(wheels[0]))


def wheel_python_files(wheel: Path) -> frozenset[str]:
    with zipfile.ZipFile(wheel) as archive:
        return frozenset(
            name
            for name in archive.namelist()
            if name.endswith(".py") and ".dist-info/" not in name
        )


def _compare(before: Wheel, after: Wheel, plan: Plan) -> None:
    gone = sorted(before.python_files - after.python_files)
    new = sorted(after.python_files - before.python_files)
    if not gone and not new:
        return
    created = [item.path for item in plan.writes if item.old is None]
    ours = tuple(path for path in created if any(_same_file(path, name) for name in new))
    if not gone and ours and len(ours) == len(new):
        raise ShipsNewFiles(f"the build would ship {', '.join(ours)} in the wheel", ours)
    lines = [f"- {name}" for name in gone[:20]] + [f"+ {name}" for name in new[:20]]
    raise AdoptionRefused(
        "the adoption would change the .py files of the wheel; nothing was changed:\n"
        + "\n".join(lines),
        fix="report this to the qdev maintainers with the repo's build configuration",
    )


def _same_file(repo_path: str, wheel_path: str) -> bool:
    return repo_path == wheel_path or repo_path.endswith("/" + wheel_path)


def _validate(copy: Path) -> None:
    from qdev.project.validate import problem

    pyproject = copy / "pyproject.toml"
    if not pyproject.is_file():
        return
    found = problem(pyproject.read_text(encoding="utf-8"))
    if found is not None:
        key, summary = found
        raise AdoptionRefused(
            f"the adopted pyproject.toml would be invalid at {key}: {summary} "
            "(validate-pyproject); nothing was changed",
            fix="report this to the qdev maintainers with the repo's pyproject.toml",
        )


def _write_plan(copy: Path, plan: Plan) -> None:
    for item in plan.writes:
        target = copy / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.new)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


@contextmanager
def _scratch(root: Path, facts: RepoFacts) -> Iterator[Path]:
    """A copy of the repo's files, with its git history when it has one."""
    with tempfile.TemporaryDirectory(prefix="qdev-adopt-") as tmp:
        copy = Path(tmp) / root.name
        if facts.git and _clone(root, copy):
            _overlay(root, copy, _listed(root))
        else:
            shutil.rmtree(copy, ignore_errors=True)  # a clone with no commit to build from
            copy.mkdir()
            _overlay(root, copy, _walk(root))
        yield copy


def _clone(root: Path, copy: Path) -> bool:
    from qdev.tools import git

    return git.scratch_clone(root, copy)


def _listed(root: Path) -> list[str]:
    from qdev.tools import git

    listed = {*git.ls_tracked(root), *git.ls_untracked(root)}
    return sorted(path for path in listed if not set(path.split("/")) & set(SKIPPED))


def _walk(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if any(part in SKIPPED for part in relative.parts):
            continue
        if path.is_file():
            found.append(relative.as_posix())
    return found


def _overlay(root: Path, copy: Path, files: Sequence[str]) -> None:
    for relative in files:
        source = root / relative
        if not source.is_file():
            continue  # deleted in the work tree, still in the index
        target = copy / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
