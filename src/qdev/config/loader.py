"""Find a repo's configuration, stack its layers and validate the result.

Layers, lowest precedence first: built-in defaults (the models' defaults), the team profile named
by `extends`, the repo's `qdev.toml` or `[tool.qdev]`, the user's own file, `QDEV_*` environment
variables, command-line overrides. Tables merge; lists and scalars replace.

The stack is validated after each file layer, so a broken profile is blamed on the profile even
when the repo overrides the broken value, and every problem names the layer that set the value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qdev.config.layers import (
    Layer,
    Source,
    deep_merge,
    display_path,
    dotted,
    env_layer,
    file_layer,
    override_layer,
    read_toml,
    walk,
)
from qdev.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    from qdev.config._locate import KeyPath
    from qdev.config.models import QdevConfig, UserConfig

REPO_FILE = "qdev.toml"
PYPROJECT = "pyproject.toml"
PYPROJECT_TABLE: KeyPath = ("tool", "qdev")
_PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_FIX = "edit the file, then run `qdev config validate`"


@dataclass
class LoadedConfig:
    """The effective configuration of one repo and where each of its values came from."""

    config: QdevConfig
    root: Path
    """The repo folder: the first folder holding qdev.toml or pyproject.toml, walking up."""
    config_file: Path | None
    """The repo's qdev.toml, or its pyproject.toml when that holds [tool.qdev]; None if neither."""
    user: UserConfig
    """The user's personal preferences (their `jobs` is also applied as check.jobs)."""
    profile_dir: Path | None = None
    """The folder of the team profile named by `extends`, if any."""
    user_file: Path | None = None
    """The user's config file, when it exists."""
    sources: dict[str, Source] = field(default_factory=dict)
    """Dotted key -> where its value was set; keys missing here hold built-in defaults."""

    def source_of(self, key: str) -> Source:
        return self.sources.get(key, Source("default"))


def user_config_file() -> Path:
    from qdev.output import user_file  # one answer, found without importing platformdirs

    return Path(user_file())


def builtin_profiles_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "profile" / "builtin"


# -- finding the repo ---------------------------------------------------------------------------


def _present(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _git_top(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if _present(folder / ".git"):
            return folder
    return None


def find_repo(start: Path) -> tuple[Path, Path | None]:
    """The repo root above `start` and its config file (None when there is none)."""
    for folder in (start, *start.parents):
        qdev_toml, pyproject = folder / REPO_FILE, folder / PYPROJECT
        if not (_present(qdev_toml) or _present(pyproject)):
            continue
        has_table = _present(pyproject) and _has_qdev_table(pyproject)
        if _present(qdev_toml) and has_table:
            raise ConfigError(
                [
                    f"{display_path(qdev_toml)} and [tool.qdev] in {display_path(pyproject)} "
                    "both configure qdev; keep one"
                ],
                fix="move the settings into one of them and delete the other",
            )
        if _present(qdev_toml):
            return folder, qdev_toml
        return folder, pyproject if has_table else None
    return _git_top(start) or start, None


def _has_qdev_table(pyproject: Path) -> bool:
    data, _ = read_toml(pyproject)
    tool = data.get("tool")
    return isinstance(tool, dict) and "qdev" in tool


def repo_layer(config_file: Path) -> Layer:
    whole = file_layer("repo", config_file)
    if config_file.name != PYPROJECT:
        return whole
    tool = whole.data.get("tool")
    table = tool.get("qdev") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        from qdev.config.problems import render_value

        where = whole.source(PYPROJECT_TABLE)
        raise ConfigError(
            [f"{where}: tool.qdev: expected a table, got {render_value(table)}"], fix=_FIX
        )
    cut = len(PYPROJECT_TABLE)
    positions = {p[cut:]: at for p, at in whole.positions.items() if p[:cut] == PYPROJECT_TABLE}
    return Layer("repo", table, config_file, positions)


# -- team profiles ------------------------------------------------------------------------------


def profile_layers(naming: Layer, seen: tuple[Path, ...] = ()) -> tuple[list[Layer], Path | None]:
    """The profile chain named by `naming`'s `extends`, lowest first, and the nearest folder."""
    raw = naming.data.get("extends")
    if raw is None:
        return [], None
    folder = _profile_folder(naming, raw)
    if folder in seen:
        chain = " -> ".join(display_path(p) for p in (*seen, folder))
        where = naming.source(("extends",))
        raise ConfigError([f"{where}: extends: profiles extend each other: {chain}"])
    base = folder / REPO_FILE
    if not _present(base):
        return [], folder
    layer = file_layer("profile", base)
    below, _ = profile_layers(layer, (*seen, folder))
    layer.data = {key: value for key, value in layer.data.items() if key != "extends"}
    return [*below, layer], folder


def _profile_folder(naming: Layer, raw: object) -> Path:
    from pydantic import ValidationError

    from qdev.config.models import ExtendsConfig

    try:
        extends = ExtendsConfig.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(exc, [naming], ExtendsConfig, prefix=("extends",)) from None
    given = [key for key in ("git", "name", "path") if getattr(extends, key) is not None]
    if not given:
        where = naming.source(("extends",))
        raise ConfigError(
            [f"{where}: extends: expected one of name, path or git, got an empty table"], fix=_FIX
        )
    where = naming.source(("extends", given[0]))
    if extends.git is not None:
        from qdev.profile.cache import fetch

        assert naming.file is not None
        ref = extends.branch or extends.ref
        assert ref is not None
        try:
            return fetch(
                extends.git, ref, branch=extends.branch is not None, relative_to=naming.file.parent
            ).folder
        except UsageError as exc:  # a bad URL or a refused ref: blame its line
            key = (
                "git"
                if exc.message.startswith("extends.git")
                else "branch"
                if extends.branch
                else "ref"
            )
            raise ConfigError(
                [f"{naming.source(('extends', key))}: {exc.message}"], fix=exc.fix
            ) from None
    if extends.name is not None:
        available = sorted(p.name for p in builtin_profiles_dir().glob("*") if p.is_dir())
        folder = builtin_profiles_dir() / extends.name
        if not _PROFILE_NAME.match(extends.name) or not folder.is_dir():
            listed = ", ".join(available) or "none are installed"
            raise ConfigError(
                [
                    f'{where}: extends.name: no built-in profile "{extends.name}" '
                    f"(available: {listed})"
                ],
                fix=_FIX,
            )
        return folder
    assert extends.path is not None
    assert naming.file is not None
    fix = "correct the path (relative to the file that names it) or create the folder"
    try:
        folder = (naming.file.parent / extends.path).resolve()
        found = folder.is_dir()
    except OSError as exc:
        raise ConfigError(
            [f"{where}: extends.path: expected a profile folder that can be read: {exc.strerror}"],
            fix=fix,
        ) from None
    if not found:
        raise ConfigError(
            [f"{where}: extends.path: profile folder {display_path(folder)} does not exist"],
            fix=fix,
        )
    return folder


# -- the user's file ----------------------------------------------------------------------------


def user_layer(path: Path) -> tuple[Layer | None, UserConfig]:
    from pydantic import ValidationError

    from qdev.config.models import QdevConfig, UserConfig
    from qdev.config.problems import problems_of

    if not _present(path):
        return None, UserConfig()
    layer = file_layer("user", path)
    policy = _policy_keys(QdevConfig) - set(UserConfig.model_fields)
    problems = [
        (
            layer.source((key,)).line or 0,
            f'{layer.source((key,))}: {key}: "{key}" is repo policy, not a personal preference; '
            "policy belongs in the repo's qdev.toml (or [tool.qdev] in pyproject.toml)",
        )
        for key in layer.data
        if key in policy
    ]
    personal = {key: value for key, value in layer.data.items() if key not in policy}
    user = UserConfig()
    try:
        user = UserConfig.model_validate(personal)
    except ValidationError as exc:
        for problem in problems_of(exc, UserConfig):
            where = layer.source(problem.loc)
            problems.append((where.line or 0, f"{where}: {dotted(problem.loc)}: {problem.message}"))
    if problems:
        allowed = ", ".join(UserConfig.model_fields)
        listed = [text for _, text in sorted(problems, key=lambda item: item[0])]
        raise ConfigError(listed, fix=f"personal preferences are: {allowed}")
    positions = dict(layer.positions)
    if "jobs" in layer.data and ("jobs",) in positions:
        positions[("check",)] = positions[("check", "jobs")] = positions[("jobs",)]
    data = {"check": {"jobs": layer.data["jobs"]}} if "jobs" in layer.data else {}
    return Layer("user", data, path, positions), user


def _policy_keys(model: type[BaseModel]) -> set[str]:
    from qdev.config.problems import node_at

    keys: set[str] = set()
    for name in model.model_fields:
        keys.add(name)
        node = node_at(model, (name,))
        if node is not None and isinstance(node[0], type) and hasattr(node[0], "model_fields"):
            keys |= _policy_keys(node[0])
    return keys


# -- stacking and validating --------------------------------------------------------------------


def _config_error(
    exc: ValidationError, layers: list[Layer], model: type[BaseModel], *, prefix: KeyPath = ()
) -> ConfigError:
    """Every problem of a validation, each blamed on the highest layer that set the value."""
    from qdev.config.problems import problems_of

    located = [((*prefix, *problem.loc), problem.message) for problem in problems_of(exc, model)]
    return _located_error(located, layers)


def _located_error(located: list[tuple[KeyPath, str]], layers: list[Layer]) -> ConfigError:
    found: list[tuple[str, int, int, str]] = []
    kinds: set[str] = set()
    for loc, message in located:
        source = _blame(loc, layers)
        where = f"{source}: " if source else ""
        kinds.add(source.kind if source else "default")
        order = (
            str(source.file or source.variable) if source else "",
            source.line or 0 if source else 0,
        )
        found.append((*order, len(found), f"{where}{dotted(loc)}: {message}"))
    fix = _FIX
    if kinds <= {"env"}:
        fix = "correct or unset the environment variable"
    elif kinds <= {"override"}:
        fix = "correct the command-line option"
    return ConfigError([text for *_, text in sorted(found)], fix=fix)


def _blame(loc: KeyPath, layers: list[Layer]) -> Source | None:
    for cut in range(len(loc), 0, -1):
        for layer in reversed(layers):
            if layer.holds(loc[:cut]):
                return layer.source(loc)
    return None


def _validated(layers: list[Layer]) -> QdevConfig:
    from pydantic import ValidationError

    from qdev.config.models import QdevConfig

    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer.data)
    try:
        return QdevConfig.model_validate(merged)
    except ValidationError as exc:
        raise _config_error(exc, layers, QdevConfig) from None


def stack(layers: list[Layer]) -> QdevConfig:
    """Validate after each file layer (so each file answers for itself), then the whole stack."""
    for cut, layer in enumerate(layers, start=1):
        if layer.file is not None and cut < len(layers):
            _validated(layers[:cut])
    return _validated(layers)


def checked_stack(layers: list[Layer], root: Path, *, complete: bool) -> QdevConfig:
    """`stack`, then the configured paths looked at in the repo (see repo_checks.py).

    `complete` is `qdev config validate`: every file a later command opens must exist, and
    pyproject.toml's [project] name and version must be usable.
    """
    from qdev.config.repo_checks import path_problems, project_table_problems

    config = stack(layers)
    located = [
        (loc, f"expected {text}") for loc, text in path_problems(config, root, complete=complete)
    ]
    problems = _located_error(located, layers).problems if located else []
    if complete:
        problems += project_table_problems(root / PYPROJECT)
    if problems:
        raise ConfigError(problems, fix=_FIX)
    return config


def sources_of(layers: list[Layer]) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for layer in layers:
        for path in walk(layer.data):
            sources[dotted(path)] = layer.source(path)
    return sources


def load_config(
    start: Path | None = None,
    *,
    overrides: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
    user_file: Path | None = None,
    complete: bool = False,
) -> LoadedConfig:
    """The effective configuration for the repo holding `start` (default: the current folder).

    `overrides` are dotted keys from command-line flags with typed values, e.g.
    {"check.jobs": 4} (not "4": types are strict). `environ` (default os.environ) and
    `user_file` (default the XDG one) exist for tests. `complete` adds the checks of
    `qdev config validate` (checked_stack). Raises ConfigError (exit 2) listing every problem,
    each with its file and line or its variable.
    """
    start = (start or Path.cwd()).resolve()
    root, config_file = find_repo(start)
    layers: list[Layer] = []
    profile_dir = None
    if config_file is not None:
        repo = repo_layer(config_file)
        layers, profile_dir = profile_layers(repo)
        layers.append(repo)
    user_path = user_file or user_config_file()
    user_layer_, user = user_layer(user_path)
    if user_layer_ is not None:
        layers.append(user_layer_)
    layers.append(env_layer(os.environ if environ is None else environ))
    layers.append(override_layer(overrides or {}))
    config = checked_stack(layers, root, complete=complete)
    return LoadedConfig(
        config=config,
        root=root,
        config_file=config_file,
        user=user,
        profile_dir=profile_dir,
        user_file=user_path if user_layer_ is not None else None,
        sources=sources_of(layers),
    )


def validate_file(path: Path) -> LoadedConfig:
    """Validate one file with what lies under it (defaults, its profile), not user or env layers.

    A pyproject.toml is read for its [tool.qdev]; the user's own file is checked as a user file;
    a folder is validated as the repo holding it.
    """
    path = path.resolve()
    if path.is_dir():
        return load_config(path, complete=True)
    if path == user_config_file().resolve():
        from qdev.config.models import QdevConfig

        _, user = user_layer(path)
        return LoadedConfig(QdevConfig(), path.parent, None, user, user_file=path)
    if path.name == PYPROJECT and not _has_qdev_table(path):
        from qdev.config.models import QdevConfig, UserConfig
        from qdev.config.repo_checks import project_table_problems

        problems = project_table_problems(path)
        if problems:
            raise ConfigError(problems, fix=_FIX)
        return LoadedConfig(QdevConfig(), path.parent, None, UserConfig())
    repo = repo_layer(path)
    layers, profile_dir = profile_layers(repo)
    layers.append(repo)
    from qdev.config.models import UserConfig

    return LoadedConfig(
        config=checked_stack(layers, path.parent, complete=True),
        root=path.parent,
        config_file=path,
        user=UserConfig(),
        profile_dir=profile_dir,
        sources=sources_of(layers),
    )
