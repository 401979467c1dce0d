"""`qdev init`: a new repo of a kind from the team profile, or an existing repo adopted.

The run is a pipeline: settle the settings (flags, the repo's own config, prompts, the
profile's defaults), render the profile, plan what changes on disk, then (unless dry-run)
write it all or nothing, `git init`, bootstrap the environment and optionally commit.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qdev.config.models import PYTHON_VERSION, Kind, QdevConfig
from qdev.errors import QdevError, UsageError
from qdev.profile import source
from qdev.profile import state as profile_state
from qdev.profile.apply import Action, Plan, apply_plan, check_writable, plan_files
from qdev.profile.render import RenderedFile, render_profile
from qdev.profile.source import Profile
from qdev.project import names

KINDS = tuple(kind.value for kind in Kind)
USER_CODE = ("src/", "tests/")
"""An adopted repo's code is its own: the profile's sample package and tests are for new repos."""
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


@dataclass
class InitResult:
    settings: Settings
    plan: Plan
    notes: list[str] = field(default_factory=list)
    commit: str | None = None


@dataclass(frozen=True)
class _Existing:
    """What the folder's own files already say."""

    config: QdevConfig | None = None
    explicit: frozenset[str] = frozenset()
    pyproject_name: str | None = None
    profile_dir: Path | None = None
    in_pyproject: bool = False
    """The repo keeps its qdev config in [tool.qdev] of pyproject.toml."""

    has_pyproject: bool = False
    rendered_before: frozenset[str] = frozenset()
    """Files the profile rendered here before, from .qdev/state.toml."""
    unpackaged: bool = False
    """Its pyproject.toml has no [build-system]: how (whether) it is built stays its choice."""

    def owns(self, path: str) -> bool:
        """Whether the profile may write `path`: a project's own code stays its own.

        The profile's sample package and tests go to new repos only, and back to repos where
        qdev put them (a second `qdev init` changes nothing).
        """
        fresh = not self.has_pyproject or path in self.rendered_before
        return fresh or not path.startswith(USER_CODE)


def init_project(options: InitOptions, ask: Ask | None = None) -> InitResult:
    root = _target(options.path)
    existing = _read_existing(root)
    settings = resolve_settings(options, root, existing, ask)
    rendered = render_profile(
        settings.profile, settings.kind, settings.ci_provider, variables(settings)
    )
    if existing.in_pyproject:
        rendered = config_into_pyproject(rendered)
    rendered = [item for item in rendered if existing.owns(item.path)]
    if existing.unpackaged:
        rendered = without_build_system(rendered)
    plan = plan_files(root, rendered, settings.profile, force=options.force)
    result = InitResult(settings, plan)
    if options.dry_run:
        return result
    check_writable(root)
    git_root = _git_root(root) if options.git else None
    apply_plan(plan)
    if options.git:
        result.notes.append(_ensure_git(root, git_root))
    if options.env:
        from qdev.environment import ensure_env

        try:
            report = ensure_env(root)
        except QdevError as exc:
            exc.message += f"\n(the repo's files are written: once fixed, run `qdev env` in {root})"
            raise
        result.notes.append(
            f"environment: Python {report.python} in {root / '.venv'}; git hook: {report.hook}"
        )
    if options.commit:
        result.commit = _commit(root, settings, plan)
        if result.commit is None:
            result.notes.append("git: nothing to commit, the repo already has every file")
    return result


def _target(path: Path) -> Path:
    root = path.expanduser().absolute()
    if root.exists() and not root.is_dir():
        raise UsageError(
            f"{root} is a file, not a folder", fix="give qdev init a folder (new or existing)"
        )
    for parent in root.parents:
        if parent.exists() and not parent.is_dir():
            raise UsageError(
                f"{root} cannot be created: {parent} is a file", fix="choose another PATH"
            )
    return root


def _read_existing(root: Path) -> _Existing:
    if not root.is_dir():
        return _Existing()
    pyproject = _read_pyproject(root / "pyproject.toml")
    pyproject_name = _project_name(pyproject)
    has_pyproject = pyproject is not None
    unpackaged = pyproject is not None and "build-system" not in pyproject
    recorded = profile_state.read(root)
    before = frozenset(recorded.files) if recorded else frozenset()
    if not ((root / "qdev.toml").is_file() or has_pyproject):
        return _Existing(rendered_before=before)
    from qdev.config.loader import load_config

    loaded = load_config(root)
    if loaded.root.resolve() != root.resolve() or loaded.config_file is None:
        return _Existing(
            pyproject_name=pyproject_name,
            has_pyproject=has_pyproject,
            rendered_before=before,
            unpackaged=unpackaged,
        )
    in_pyproject = loaded.config_file.name == "pyproject.toml"
    explicit = frozenset(loaded.sources)
    return _Existing(
        loaded.config,
        explicit,
        pyproject_name,
        loaded.profile_dir,
        in_pyproject,
        has_pyproject,
        before,
        unpackaged,
    )


def without_build_system(rendered: list[RenderedFile]) -> list[RenderedFile]:
    """The profile's pyproject.toml less its [build-system], for a project that has none."""
    import tomlkit

    def strip(item: RenderedFile) -> RenderedFile:
        if item.path != "pyproject.toml":
            return item
        doc = tomlkit.parse(item.content.decode("utf-8"))
        doc.pop("build-system", None)
        return RenderedFile(item.path, tomlkit.dumps(doc).encode("utf-8"))

    return [strip(item) for item in rendered]


def config_into_pyproject(rendered: list[RenderedFile]) -> list[RenderedFile]:
    """The profile's qdev.toml moved under [tool.qdev] of its pyproject.toml.

    A repo that keeps its config in pyproject.toml must not get a qdev.toml too: qdev refuses
    a repo configured in both places.
    """
    import tomlkit

    files = {item.path: item for item in rendered}
    config = files.pop("qdev.toml", None)
    pyproject = files.get("pyproject.toml")
    if config is None or pyproject is None:
        return rendered
    doc = tomlkit.parse(pyproject.content.decode("utf-8"))
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    tool["qdev"] = tomlkit.parse(config.content.decode("utf-8"))
    files["pyproject.toml"] = RenderedFile("pyproject.toml", tomlkit.dumps(doc).encode("utf-8"))
    return [files[path] for path in sorted(files)]


def _read_pyproject(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(
            f"{path}: is not valid TOML ({exc})", fix="fix the file, then run qdev init again"
        ) from exc


def _project_name(pyproject: dict[str, Any] | None) -> str | None:
    project = (pyproject or {}).get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) else None


def resolve_settings(
    options: InitOptions, root: Path, existing: _Existing, ask: Ask | None
) -> Settings:
    profile = _profile(options, existing)
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
    python = _python(options.python, config, existing, ask)
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
    )


def _python(
    requested: Sequence[str] | None, config: QdevConfig, existing: _Existing, ask: Ask | None
) -> tuple[str, ...]:
    versions = list(requested or [])
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


def _profile(options: InitOptions, existing: _Existing) -> Profile:
    if options.profile is not None:
        return source.from_folder(options.profile)
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
    if profile.builtin and not from_folder:
        return f'name = "{profile.root.name}"'
    relative = Path(os.path.relpath(profile.root, root.resolve())).as_posix()
    return f"path = {_toml_string(relative)}"


def _toml_string(text: str) -> str:
    import tomlkit

    return tomlkit.string(text).as_string()


def variables(settings: Settings) -> dict[str, str]:
    """The values templates may use as {{ name }}; the profile's own come first."""
    python_min = settings.python[0]
    values = dict(settings.profile.variables)
    values.update(
        name=settings.name,
        package=settings.package,
        kind=settings.kind,
        description=f"The {settings.name} {settings.kind}.",
        python_min=python_min,
        python_target="py" + python_min.replace(".", ""),
        requires_python=f">={python_min}",
        python_list=_toml_list(settings.python),
        ci_python_list=_toml_list(settings.ci_python),
        ci_provider=settings.ci_provider,
        coverage=f"{settings.coverage:g}",
        extends=settings.extends,
        profile_name=settings.profile.name,
        profile_version=settings.profile.version,
    )
    return values


def _toml_list(items: Sequence[str]) -> str:
    """A list of strings, valid as a TOML array and as a YAML flow sequence."""
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def _git_root(root: Path) -> Path | None:
    from qdev.tools import git

    probe = root
    while not probe.exists():
        probe = probe.parent
    return git.find_root(probe)


def _ensure_git(root: Path, git_root: Path | None) -> str:
    from qdev.tools import git

    if git_root is not None:
        if git_root.resolve() == root.resolve():
            return f"git: using the existing repository at {git_root}"
        return f"git: {root} is inside the existing repository at {git_root}; working there"
    git.init(root, branch="main")
    return f"git: new repository at {root} on branch main"


def _commit(root: Path, settings: Settings, plan: Plan) -> str | None:
    from qdev.tools import git

    repo = git.open_repo(root)
    ours = [item.path for item in plan.files if item.action != Action.KEEP]
    if (root / "uv.lock").is_file():
        ours.append("uv.lock")
    git.run(repo, "add", "--", *(str(root / path) for path in ours))
    if not git.run(repo, "diff", "--cached", "--name-only").strip():
        return None
    profile = settings.profile
    message = f"Start {settings.name} from the qdev profile {profile.name} {profile.version}"
    git.run(repo, "commit", "-m", message)
    return git.head_commit(repo)
