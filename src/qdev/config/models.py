"""Pydantic models for the whole `qdev.toml` schema. An empty file is valid.

Unknown keys are forbidden everywhere so that a typo is an error with a suggestion.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PYTHON_VERSION = re.compile(r"^3\.\d{1,2}$")
STEP_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
BUILTIN_STEPS = ("format", "lint", "typecheck", "test", "audit", "secrets", "lock")


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, use_attribute_docstrings=True
    )


class Kind(StrEnum):
    LIBRARY = "library"
    RESEARCH = "research"
    SERVICE = "service"


def _check_python_versions(versions: list[str]) -> list[str]:
    for version in versions:
        if not PYTHON_VERSION.match(version):
            raise ValueError(f'a Python version like "3.12", got "{version}"')
    if len(set(versions)) != len(versions):
        raise ValueError("each Python version once")
    return versions


class ProjectConfig(Strict):
    name: str | None = None
    """Distribution name; defaults to the folder name."""
    kind: Kind = Kind.LIBRARY
    """library, research or service."""
    python: list[str] = Field(default_factory=lambda: ["3.11", "3.12", "3.13"], min_length=1)
    """Supported Python versions, oldest first; the first is the default interpreter."""

    _check_python = field_validator("python")(_check_python_versions)


class ExtendsConfig(Strict):
    """A team profile: a built-in name, a local folder, or a git URL at a pinned ref."""

    name: str | None = None
    """A built-in profile, e.g. "default"."""
    path: str | None = None
    """A local folder holding the profile; relative to the file that names it."""
    git: str | None = None
    """A git URL of the profile repository."""
    ref: str | None = None
    """The tag or commit to use with `git`."""

    @model_validator(mode="after")
    def _exactly_one_source(self) -> ExtendsConfig:
        given = [key for key in ("name", "path", "git") if getattr(self, key)]
        if len(given) > 1:
            raise ValueError(f"one of name, path or git, got {' and '.join(given)}")
        if self.git and not self.ref:
            raise ValueError("a git profile needs a pinned ref (a tag or commit)")
        if self.ref and not self.git:
            raise ValueError("ref only goes with git")
        return self


class EnvConfig(Strict):
    indexes: dict[str, str] = Field(default_factory=dict)
    """Package index URLs by name, e.g. {internal = "https://pypi.internal/simple"}."""
    uv_args: list[str] = Field(default_factory=list)
    """Extra arguments passed to every `uv sync`."""

    @field_validator("indexes")
    @classmethod
    def _urls(cls, indexes: dict[str, str]) -> dict[str, str]:
        for name, url in indexes.items():
            if not re.match(r"^(https?|file)://", url):
                raise ValueError(f'an http(s) or file URL for index "{name}", got "{url}"')
        return indexes


class StepOptions(Strict):
    enabled: bool = True
    args: list[str] = Field(default_factory=list)
    """Extra arguments for the step's tool."""
    timeout: Annotated[float, Field(gt=0)] = 1800
    """Seconds before the step is stopped."""


class TypecheckOptions(StepOptions):
    tool: Literal["mypy", "pyright"] = "mypy"


class SecretsOptions(StepOptions):
    allowlist: list[str] = Field(default_factory=list)
    """Paths (globs) or secret hashes that are not credentials."""


class CustomStep(Strict):
    run: list[str] = Field(min_length=1)
    """The command as an argument list, never a shell string."""
    cwd: str = "."
    """Working folder, relative to the repo root."""
    env: dict[str, str] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=list)
    """Steps that must pass first."""
    inputs: list[str] = Field(default_factory=lambda: ["**/*"])
    """Globs of tracked files whose content decides whether a cached result still holds."""
    timeout: Annotated[float, Field(gt=0)] = 1800


class CheckConfig(Strict):
    steps: list[str] = Field(default_factory=lambda: list(BUILTIN_STEPS))
    """Steps `qdev check` runs by default, built-in or custom."""
    coverage: Annotated[float, Field(ge=0, le=100)] = 80
    """Minimum test coverage, in percent."""
    jobs: Annotated[int, Field(ge=1, le=256)] | None = None
    """Steps run at once; default the CPU count."""
    format: StepOptions = Field(default_factory=StepOptions)
    lint: StepOptions = Field(default_factory=StepOptions)
    typecheck: TypecheckOptions = Field(default_factory=TypecheckOptions)
    test: StepOptions = Field(default_factory=StepOptions)
    audit: StepOptions = Field(default_factory=StepOptions)
    secrets: SecretsOptions = Field(default_factory=SecretsOptions)
    lock: StepOptions = Field(default_factory=StepOptions)
    custom: dict[str, CustomStep] = Field(default_factory=dict)
    """Custom steps by name."""

    @model_validator(mode="after")
    def _known_steps(self) -> CheckConfig:
        known = set(BUILTIN_STEPS) | set(self.custom)
        for name in self.custom:
            if not STEP_NAME.match(name):
                raise ValueError(f'a step name of lowercase letters, digits, - and _, got "{name}"')
            if name in BUILTIN_STEPS:
                raise ValueError(f'custom step "{name}" has the name of a built-in step')
        for step in self.steps:
            if step not in known:
                raise ValueError(f'a built-in or custom step, got "{step}"')
        for name, custom in self.custom.items():
            for dep in custom.depends_on:
                if dep not in known:
                    raise ValueError(f'custom.{name}.depends_on: a known step, got "{dep}"')
        return self


class Scheme(StrEnum):
    SEMVER = "semver"
    CALVER = "calver"
    PEP440 = "pep440"


class ReleaseConfig(Strict):
    scheme: Scheme = Scheme.SEMVER
    calver_format: str = "YYYY.0M.MICRO"
    """Used with scheme = "calver", e.g. "YYYY.MM.DD" or "YYYY.0M.MICRO"."""
    tag_format: str = "v{version}"
    branch: str = "main"
    """The only branch releases are cut from."""
    changelog: str = "CHANGELOG.md"
    version_files: list[str] = Field(default_factory=list)
    """Extra files holding the version, e.g. "src/pkg/__init__.py"."""
    sign: Literal[False, "gpg", "ssh"] = False
    push: bool = True
    publish: bool = False
    publish_index: str | None = None
    """The URL or name (from env.indexes) of the index to publish to."""

    @field_validator("tag_format")
    @classmethod
    def _has_version(cls, value: str) -> str:
        if "{version}" not in value:
            raise ValueError(f'a format containing "{{version}}", got "{value}"')
        return value


class CiConfig(Strict):
    provider: Literal["github", "gitlab"] = "github"
    python: list[str] | None = None
    """The CI Python matrix; default project.python."""

    _check_python = field_validator("python")(
        lambda versions: versions if versions is None else _check_python_versions(versions)
    )


class QdevConfig(Strict):
    """The whole `qdev.toml` (or `[tool.qdev]` in `pyproject.toml`)."""

    extends: ExtendsConfig | None = None
    project: ProjectConfig = Field(default_factory=ProjectConfig)
    env: EnvConfig = Field(default_factory=EnvConfig)
    check: CheckConfig = Field(default_factory=CheckConfig)
    release: ReleaseConfig = Field(default_factory=ReleaseConfig)
    ci: CiConfig = Field(default_factory=CiConfig)

    @property
    def ci_python(self) -> list[str]:
        return self.ci.python or self.project.python


class UserConfig(Strict):
    """The user's own file under the XDG config folder: personal preferences, never policy."""

    color: bool | None = None
    """Colour output; default: when on a terminal."""
    jobs: Annotated[int, Field(ge=1, le=256)] | None = None
    """Parallelism for `qdev check`."""
    verbose: bool = False
