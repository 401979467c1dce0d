"""The shape every check step has, and the context a step runs in.

A step is a small object with an id: it says which tracked files it reads and what settings
it depends on (together the cache key), which tools it needs, and how to run and judge them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from qdev.check.model import Outcome
from qdev.errors import ToolMissing

if TYPE_CHECKING:
    from qdev.check.fingerprint import Environment, FileHashes
    from qdev.config.models import QdevConfig, StepOptions
    from qdev.tools.process import ChildGroup, ProcessResult

PYTHON_SUFFIXES = (".py", ".pyi")


class CpuMeter:
    """Adds up the CPU time of the tools one step runs (a step may run them from several
    threads: each takes the meter along in its context)."""

    def __init__(self) -> None:
        self.seconds: float | None = None

    def add(self, seconds: float | None) -> None:
        if seconds is not None:
            self.seconds = (self.seconds or 0.0) + seconds


_METER: ContextVar[CpuMeter | None] = ContextVar("qdev_step_cpu", default=None)


@contextmanager
def metered() -> Iterator[CpuMeter]:
    """Count the CPU time of every tool run through `StepContext.run` in this context."""
    meter = CpuMeter()
    token = _METER.set(meter)
    try:
        yield meter
    finally:
        _METER.reset(token)


@dataclass
class StepContext:
    """Everything a step may look at: the repo, its environment, its config, the run's flags."""

    root: Path
    venv: Path
    config: QdevConfig
    tracked: list[str]
    children: ChildGroup
    fix: bool = False
    changed: list[str] | None = None
    """The files this run is about, when it is narrowed (files named on the command line, as
    the git hook names them; --staged; --changed): format, lint and secrets look at these only.
    None: the whole repo."""
    scratch: Path | None = None
    """A private folder for this run's temporary files."""
    extra_env: dict[str, str] = field(default_factory=dict)
    untracked: list[str] = field(default_factory=list)
    """Files git does not track but does not ignore either: the tools see them too."""
    submodule_files: list[str] = field(default_factory=list)
    """Files inside checked-out git submodules: not the repo's own, but a tool that walks
    folders (ruff, mypy, pytest) reads them, so they belong in those steps' cache keys."""
    cores: dict[str, int] = field(default_factory=dict)
    """Cores each started step may keep busy, as the runner granted them (`check.cores`)."""
    expected_cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds each step took when it last ran (`check.timings`), to plan its work."""
    tool_caches: bool = True
    """Whether the tools keep their own caches (`check.toolcache`); False: `--no-cache`."""

    @cached_property
    def hashes(self) -> FileHashes:
        """Content hashes of the repo's files, each read once per run."""
        from qdev.check.fingerprint import FileHashes

        return FileHashes(self.root)

    @cached_property
    def environment(self) -> Environment:
        """What the tools run with: locked and installed versions, Python, outside config."""
        from qdev.check.fingerprint import Environment

        return Environment.of(self.root, self.venv)

    def cores_for(self, step: str) -> int:
        """The cores `step` may keep busy: the runner's grant, else every available one."""
        if step in self.cores:
            return self.cores[step]
        from qdev.check.cores import available

        return available()

    @property
    def files(self) -> list[str]:
        """The repo's own files: tracked, plus untracked ones that are not ignored."""
        return [*self.tracked, *self.untracked]

    @property
    def visible_files(self) -> list[str]:
        """Every file a tool that walks the folders may read: the repo's own and its
        submodules'."""
        return [*self.files, *self.submodule_files]

    @cached_property
    def pyproject(self) -> dict[str, Any]:
        path = self.root / "pyproject.toml"
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            return {}

    def tool_settings(self, name: str) -> dict[str, Any]:
        value = self.pyproject.get("tool", {}).get(name, {})
        return value if isinstance(value, dict) else {}

    def python_files(self) -> list[str]:
        return [path for path in self.files if path.endswith(PYTHON_SUFFIXES)]

    def existing(self, paths: Sequence[str]) -> list[str]:
        return [path for path in paths if (self.root / path).exists()]

    def tool(self, name: str) -> str:
        """The tool's executable in the repo's environment; never a global one."""
        path = self.venv / "bin" / name
        if not path.exists():
            raise ToolMissing(
                f"{name} is not installed in {self.venv}",
                fix=f"add {name} to the dev group (uv add --dev {name}), then run `qdev env`",
            )
        return str(path)

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        from qdev.tools.process import child_env

        path = f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        base = {"VIRTUAL_ENV": str(self.venv), "PATH": path, "NO_COLOR": "1", **self.extra_env}
        return child_env(
            {**base, **(extra or {})}, drop=("PYTHONHOME", "PYTHONPATH", "FORCE_COLOR")
        )

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ProcessResult:
        result = self.children.run(argv, cwd=cwd or self.root, env=self.env(env), timeout=timeout)
        meter = _METER.get()
        if meter is not None:
            meter.add(result.cpu_seconds)
        return result


class Step:
    """A check step. Subclasses set the class attributes and implement `execute`."""

    id: ClassVar[str] = ""
    description: ClassVar[str] = ""
    tools: ClassVar[tuple[str, ...]] = ()
    """Executables the step runs from the repo's environment."""
    packages: ClassVar[tuple[str, ...]] = ()
    """Locked packages whose versions belong in the cache key."""
    weight: ClassVar[int] = 1
    """Rough cost; heavier steps start first."""
    uses_tool_cache: ClassVar[bool] = False
    """Its tool keeps a cache of its own (toolcache.py): its time depends on whether that
    cache is there, so its timings are kept for both cases."""
    baselined: ClassVar[bool] = False
    """Its findings are about lines of files, so `.qdev/baseline.json` can hold the known ones
    (format, lint, typecheck, secrets): only new ones fail it."""

    @property
    def name(self) -> str:
        return self.id

    def options(self, ctx: StepContext) -> StepOptions:
        options: StepOptions = getattr(ctx.config.check, self.id)
        return options

    def enabled(self, ctx: StepContext) -> bool:
        return self.options(ctx).enabled

    def timeout(self, ctx: StepContext) -> float:
        return self.options(ctx).timeout

    def depends_on(self, ctx: StepContext) -> list[str]:
        return []

    def needed_tools(self, ctx: StepContext) -> tuple[str, ...]:
        return self.tools

    def reads(self, ctx: StepContext) -> list[str]:
        """Files whose content decides the result (by default every file a tool may see)."""
        return ctx.visible_files

    def settings(self, ctx: StepContext) -> dict[str, Any]:
        """The configuration the result depends on."""
        return {"options": self.options(ctx).model_dump(mode="json", exclude={"timeout"})}

    def cacheable(self, ctx: StepContext) -> bool:
        return not ctx.fix

    def execute(self, ctx: StepContext) -> Outcome:
        raise NotImplementedError


REGISTRY: dict[str, Step] = {}
S = TypeVar("S", bound=type[Step])


def register(cls: S) -> S:
    """Class decorator: make a built-in step discoverable by its id."""
    REGISTRY[cls.id] = cls()
    return cls


StepFactory = Callable[[], Step]
