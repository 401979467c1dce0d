"""The settings of a repo to make: from flags, the repo's own config, prompts, the profile."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qdev.config.models import PYTHON_VERSION, Kind, QdevConfig
from qdev.errors import UsageError
from qdev.profile import source
from qdev.profile.source import Profile
from qdev.project import names
from qdev.project.existing import ExistingRepo

KINDS = tuple(kind.value for kind in Kind)
CI_PROVIDERS = ("github", "gitlab")

Ask = Callable[[str, str, Sequence[str] | None], str]
"""Asks the user: (question, default, choices or None) -> answer."""


@dataclass(frozen=True)
class InitOptions:
    path: Path
    kind: str | None = None
    name: str | None = None
    python: Sequence[str] | None = None
    ci_provider: str | None = None
    profile: Path | None = None
    env: bool = True
    git: bool = True
    commit: bool = False
    dry_run: bool = False
    force: bool = False
    migrate: bool = False


@dataclass(frozen=True)
class Settings:
    root: Path
    name: str
    package: str
    kind: str
    python: tuple[str, ...]
    ci_provider: str
    ci_python: tuple[str, ...]
    coverage: float
    profile: Profile
    extends: str
    """The [extends] line of the repo's qdev.toml."""
    python_default: str = ""
    """The interpreter of the repo's environment (.python-version); default the oldest."""
    default_branch: str = "main"
    """The branch CI runs on (besides pull/merge requests) and releases are cut from."""


def resolve_settings(
    options: InitOptions,
    root: Path,
    existing: ExistingRepo,
    ask: Ask | None,
    adopted: Adopted | None = None,
) -> Settings:
    profile = _profile(options, existing, root)
    base = _profile_config(profile)
    config = existing.config or base
    kind = options.kind or (
        config.project.kind.value if "project.kind" in existing.explicit else None
    )
    if kind is None:
        kind = ask("Kind of repo", Kind.LIBRARY.value, KINDS) if ask else Kind.LIBRARY.value
    if kind not in KINDS:
        raise UsageError(
            f'unknown kind "{kind}"', fix=f"use --kind with one of: {', '.join(KINDS)}"
        )
    name = options.name or existing.pyproject_name or config.project.name
    if name is None:
        name = ask("Project name", root.name, None) if ask else root.name
    dist, package = names.validate(name)
    from_repo = None
    if adopted is not None:
        from qdev.project.requires_python import python_versions

        from_repo = python_versions(adopted.requires_python, base.project.python)
    python = _python(options.python, config, existing, None if adopted else ask, from_repo)
    provider = options.ci_provider or config.ci.provider
    if provider not in CI_PROVIDERS:
        raise UsageError(
            f'unknown CI provider "{provider}"', fix=f"use one of: {', '.join(CI_PROVIDERS)}"
        )
    ci_python = tuple(config.ci.python) if config.ci.python else python
    return Settings(
        root,
        dist,
        package,
        kind,
        python,
        provider,
        ci_python,
        config.check.coverage,
        profile,
        _extends_line(profile, root, options.profile is not None),
        _default_interpreter(python, base.project.python),
        (adopted.branch if adopted else None) or "main",
    )


@dataclass(frozen=True)
class Adopted:
    """What an adopted repo already says about its Python versions and branch."""

    requires_python: str | None
    branch: str | None


def _default_interpreter(python: Sequence[str], team: Sequence[str]) -> str:
    """The oldest supported version the team also uses (so it is installed), else the oldest."""
    return next((v for v in python if v in team), python[0])


def default_interpreter(python: Sequence[str], profile: Profile) -> str:
    """The repo's `.python-version`: as `qdev init` chose it, for `qdev sync` to render alike."""
    return _default_interpreter(python, _profile_config(profile).project.python)


def _python(
    requested: Sequence[str] | None,
    config: QdevConfig,
    existing: ExistingRepo,
    ask: Ask | None,
    from_repo: Sequence[str] | None = None,
) -> tuple[str, ...]:
    versions = list(requested or [])
    if not versions and from_repo and "project.python" not in existing.explicit:
        versions = list(from_repo)
    if not versions and "project.python" not in existing.explicit and ask:
        answer = ask("Python versions, oldest first", ", ".join(config.project.python), None)
        versions = [part.strip() for part in answer.split(",") if part.strip()]
    versions = versions or list(config.project.python)
    bad = [version for version in versions if not PYTHON_VERSION.match(version)]
    if bad or len(set(versions)) != len(versions):
        raise UsageError(
            f"--python: expected distinct versions like 3.12, got {', '.join(versions)}",
            fix="e.g. --python 3.11 --python 3.12",
        )
    return tuple(sorted(versions, key=lambda v: tuple(int(p) for p in v.split("."))))


def _profile(options: InitOptions, existing: ExistingRepo, root: Path) -> Profile:
    if options.profile is not None:
        return source.from_folder(options.profile)
    extends = existing.config.extends if existing.config is not None else None
    if extends is not None and extends.git is not None:  # a git profile, from the cache
        return source.from_extends(extends.model_dump(exclude_none=True), relative_to=root)
    if existing.profile_dir is not None:
        builtin_dir = source.BUILTIN_DIR.resolve()
        folder = existing.profile_dir.resolve()
        if folder.parent == builtin_dir:
            return source.builtin(folder.name)
        return source.from_folder(folder)
    return source.builtin()


def _profile_config(profile: Profile) -> QdevConfig:
    """The profile's own qdev.toml (and the profiles it extends): the defaults of a new repo."""
    if not profile.config_file.is_file():
        return QdevConfig()
    from qdev.config.loader import validate_file

    return validate_file(profile.config_file).config


def _extends_line(profile: Profile, root: Path, from_folder: bool) -> str:
    if profile.origin is not None:
        return source.git_extends_lines(profile.origin)
    if profile.builtin and not from_folder:
        return f'name = "{profile.root.name}"'
    relative = Path(os.path.relpath(profile.root, root.resolve())).as_posix()
    return f"path = {_toml_string(relative)}"


def _toml_string(text: str) -> str:
    import tomlkit

    return tomlkit.string(text).as_string()


def variables(settings: Settings) -> dict[str, str]:
    """The values templates may use as {{ name }}; the profile's own come first."""
    from qdev.ci.install import VARIABLE_DEFAULTS

    python_min = settings.python[0]
    values = {**VARIABLE_DEFAULTS, **settings.profile.variables}
    values.update(
        name=settings.name,
        package=settings.package,
        kind=settings.kind,
        description=f"The {settings.name} {settings.kind}.",
        python_min=python_min,
        python_default=settings.python_default or python_min,
        python_target="py" + python_min.replace(".", ""),
        requires_python=f">={python_min}",
        python_list=_toml_list(settings.python),
        ci_python_list=_toml_list(settings.ci_python),
        ci_provider=settings.ci_provider,
        default_branch=settings.default_branch,
        coverage=f"{settings.coverage:g}",
        extends=settings.extends,
        profile_name=settings.profile.name,
        profile_version=settings.profile.version,
    )
    return values


def _toml_list(items: Sequence[str]) -> str:
    """A list of strings, valid as a TOML array and as a YAML flow sequence."""
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"
