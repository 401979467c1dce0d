"""The typed facts of a repo: what it already is, read before anything touches it.

Every command works from these facts, never from the assumption that the repo looks like a
fresh `qdev init`: its build backend, where its version comes from, its layout and real import
packages, its tests, the Python versions it promises, its default branch and tag format, where
each tool already reads its config, its hooks and CI, and the files it generates.

`read_facts` is read-only and fast: it parses files and asks git; it never writes, never
builds and never runs uv. The interface is shared (docs/facts.md): names here stay stable.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from qdev.errors import UsageError
from qdev.project._legacy import (
    SetupPy,
    cfg_get,
    cfg_list,
    cfg_package_dir,
    read_setup_cfg,
    read_setup_py,
)

NOT_PACKAGES = frozenset(
    {
        "tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks",
        "benchmark", "scripts", "tools", "build", "dist", "site", "notebooks", "data",
        "ci", "conda", "recipe", "bin", "src",
    }
)  # fmt: skip
"""Top-level folders that are never a project's import package, whatever they hold."""

VERSION_MODULES = ("__init__.py", "__about__.py", "_version.py", "version.py", "__version__.py")
VERSION_LITERAL = re.compile(
    r"""^(?P<lhs>__version__|VERSION)\s*(?::\s*str\s*)?=\s*(?P<q>['"])v?(?P<version>[^'"]+)(?P=q)""",
    re.MULTILINE,
)

QDEV_WRITES = (
    "qdev.toml", "pyproject.toml", "noxfile.py", ".pre-commit-config.yaml", ".python-version",
    "uv.lock", "CHANGELOG.md", ".qdev/state.toml", ".github/workflows/ci.yml", ".gitlab-ci.yml",
)  # fmt: skip
"""Files qdev writes and expects git to track: a .gitignore line hiding one is worth knowing."""

CI_FILES = (
    ".gitlab-ci.yml", ".travis.yml", "azure-pipelines.yml", ".circleci/config.yml",
    "appveyor.yml", ".appveyor.yml", "Jenkinsfile", "bitbucket-pipelines.yml",
)  # fmt: skip
PRE_COMMIT_FILES = (".pre-commit-config.yaml", ".pre-commit-config.yml")


class VersionKind(StrEnum):
    STATIC = "static"
    POETRY = "poetry"
    SETUPTOOLS_SCM = "setuptools_scm"
    HATCH_VCS = "hatch-vcs"
    VERSIONEER = "versioneer"
    POETRY_DYNAMIC = "poetry-dynamic-versioning"
    PDM_SCM = "pdm-scm"
    UV_DYNAMIC = "uv-dynamic-versioning"
    MODULE = "module"
    SETUP_PY = "setup.py"
    SETUP_CFG = "setup.cfg"
    UNKNOWN = "unknown"


FROM_TAGS = frozenset(
    {
        VersionKind.SETUPTOOLS_SCM,
        VersionKind.HATCH_VCS,
        VersionKind.VERSIONEER,
        VersionKind.POETRY_DYNAMIC,
        VersionKind.PDM_SCM,
        VersionKind.UV_DYNAMIC,
    }
)


@dataclass(frozen=True)
class VersionSource:
    kind: VersionKind
    value: str | None = None
    """The current version when a file holds it literally, else None."""
    files: tuple[str, ...] = ()
    """Every repo-relative file holding that literal version (all bumped together)."""

    @property
    def from_tags(self) -> bool:
        return self.kind in FROM_TAGS

    @property
    def dynamic(self) -> bool:
        """The version is not a literal under [project]: qdev must never add one there."""
        return self.kind != VersionKind.STATIC


@dataclass(frozen=True)
class RepoFacts:
    root: Path
    name: str | None
    """Distribution name ([project], [tool.poetry], setup.cfg, setup.py)."""
    backend: str | None
    """[build-system].build-backend, None without one."""
    version: VersionSource
    requires_python: str | None
    """As the repo writes it (PEP 440, or Poetry's `python` constraint)."""
    layout: str
    """"src", "flat" or "none"."""
    packages: tuple[str, ...]
    """Top-level import names, e.g. ("alpaca",)."""
    package_paths: tuple[str, ...]
    """Their repo-relative folders or modules, e.g. ("alpaca",) or ("src/pkg",)."""
    test_paths: tuple[str, ...]
    """e.g. ("tests",) or ("pkg/tests",)."""
    default_branch: str | None
    tag_format: str | None
    """From existing tags: "v{version}", "{version}", "name-v{version}"; None without tags."""
    latest_tag: str | None
    tool_configs: dict[str, str]
    """tool -> repo-relative file it already reads its config from."""
    generated: tuple[str, ...]
    """Vendored or generated files (versioneer.py, pkg/_version.py), repo-relative."""
    has_project_table: bool = False
    """pyproject.toml has a [project] table (uv can run the project as it stands)."""
    has_poetry_table: bool = False
    pre_commit: str | None = None
    """The existing pre-commit config file, if any."""
    ci_files: tuple[str, ...] = ()
    ignored: dict[str, str] = field(default_factory=dict)
    """File qdev writes -> the .gitignore rule ("file:line:pattern") that would hide it."""
    dev_group: str | None = None
    """Where the repo keeps its dev tools: "dev" ([dependency-groups]),
    "tool.uv.dev-dependencies", or None when it has neither."""
    dependency_groups: tuple[str, ...] = ()
    migration: str | None = None
    """What uv cannot run as it stands: "poetry", "pipenv" or "setup.py"; None when it can."""
    test_extra: str | None = None
    """The optional-dependencies extra the tests need (test, tests, testing, else dev)."""
    tags: tuple[str, ...] = ()
    git: bool = False
    """The folder is inside a git work tree."""

    @property
    def existing(self) -> bool:
        """Whether there is a project here at all (vs an empty or config-only folder)."""
        return any(
            (self.root / name).is_file()
            for name in ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile")
        )


def read_facts(root: Path) -> RepoFacts:
    """Read-only and fast: parses files and asks git; never writes, never builds, never runs uv."""
    pyproject = read_pyproject(root / "pyproject.toml")
    setup_cfg = read_setup_cfg(root / "setup.cfg")
    setup_py = read_setup_py(root / "setup.py")
    project = _table(pyproject, "project")
    poetry = _table(pyproject, "tool", "poetry")
    name, layout, sources = _sources(root, pyproject, setup_cfg, setup_py)
    paths = sources.package_paths
    version = _version(root, pyproject, setup_cfg, setup_py, paths)
    tags, branch, ignored, in_git = _git_facts(root)
    from qdev.project import tag_formats  # packaging loads only when there is a folder to read

    tag_format, latest = tag_formats.infer(tags)
    tool_configs = _tool_configs(root, pyproject, setup_cfg)
    return RepoFacts(
        root=root,
        name=name,
        backend=_str(_table(pyproject, "build-system").get("build-backend")),
        version=version,
        requires_python=_declared("requires-python", project, poetry, setup_cfg, setup_py),
        layout=layout,
        packages=sources.packages,
        package_paths=paths,
        test_paths=sources.test_paths,
        default_branch=branch,
        tag_format=tag_format,
        latest_tag=latest,
        tool_configs=tool_configs,
        generated=_generated(root, pyproject, setup_cfg, paths, version),
        has_project_table="project" in (pyproject or {}),
        has_poetry_table=bool(poetry),
        pre_commit=next((f for f in PRE_COMMIT_FILES if (root / f).is_file()), None),
        ci_files=_ci_files(root),
        ignored=ignored,
        dev_group=_dev_group(pyproject),
        dependency_groups=tuple(_table(pyproject, "dependency-groups")),
        migration=_migration(root, pyproject, poetry),
        test_extra=_test_extra(project),
        tags=tuple(tags),
        git=in_git,
    )


@dataclass(frozen=True)
class Sources:
    """Where a repo's code and tests are: the part of the facts that needs no git."""

    packages: tuple[str, ...]
    package_paths: tuple[str, ...]
    test_paths: tuple[str, ...]

    @property
    def checked_paths(self) -> list[str]:
        """The packages and the test folders outside them: what a type checker should read."""
        outside = [
            path
            for path in self.test_paths
            if not any(path == pkg or path.startswith(pkg + "/") for pkg in self.package_paths)
        ]
        return [*self.package_paths, *outside]


def read_sources(root: Path) -> Sources:
    """The repo's packages and tests only (no git): for `qdev env` and `qdev check`."""
    return _sources_beside(root, read_pyproject(root / "pyproject.toml"))


def installed_packages(root: Path) -> tuple[str, ...]:
    """The project's own packages uv installs into its environment: none unless it has
    [project] and is packaged."""
    pyproject = read_pyproject(root / "pyproject.toml")
    return _sources_beside(root, pyproject).packages if _installs_itself(pyproject or {}) else ()


def _sources_beside(root: Path, pyproject: dict[str, Any] | None) -> Sources:
    setup_cfg, setup_py = read_setup_cfg(root / "setup.cfg"), read_setup_py(root / "setup.py")
    return _sources(root, pyproject, setup_cfg, setup_py)[2]


def _installs_itself(pyproject: dict[str, Any]) -> bool:
    if "project" not in pyproject:
        return False
    package = _table(pyproject, "tool", "uv").get("package")
    return bool(package) if isinstance(package, bool) else "build-system" in pyproject


def _sources(
    root: Path,
    pyproject: dict[str, Any] | None,
    setup_cfg: configparser.ConfigParser | None,
    setup_py: SetupPy | None,
) -> tuple[str | None, str, Sources]:
    """The declared name, the layout ("src", "flat" or "none") and the sources, from the files
    read once by the caller."""
    project, poetry = _table(pyproject, "project"), _table(pyproject, "tool", "poetry")
    name = _declared("name", project, poetry, setup_cfg, setup_py)
    layout, packages, paths = _packages(root, pyproject, setup_cfg, setup_py, name)
    return name, layout, Sources(packages, paths, _test_paths(root, pyproject, setup_cfg, paths))


# --- pyproject ------------------------------------------------------------------------------


def read_pyproject(path: Path) -> dict[str, Any] | None:
    """pyproject.toml as data; None when absent; a UsageError naming the line when not TOML."""
    if not path.is_file():
        return None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(
            f"{path}: is not valid TOML ({exc})", fix="fix the file, then run qdev again"
        ) from exc


def _table(data: dict[str, Any] | None, *keys: str) -> dict[str, Any]:
    node: Any = data or {}
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


_DECLARED = {
    # what: ([project] key, [tool.poetry] path, setup.cfg (section, key), setup.py keyword)
    "name": ("name", ("name",), ("metadata", "name"), "name"),
    "requires-python": (
        "requires-python",
        ("dependencies", "python"),
        ("options", "python_requires"),
        "python_requires",
    ),
}


def _declared(
    what: str,
    project: dict[str, Any],
    poetry: dict[str, Any],
    cfg: configparser.ConfigParser | None,
    setup_py: SetupPy | None,
) -> str | None:
    """The first place that declares `what`: [project], [tool.poetry], setup.cfg, setup.py."""
    project_key, poetry_path, (section, key), setup_key = _DECLARED[what]
    return (
        _str(project.get(project_key))
        or _str(_table(poetry, *poetry_path[:-1]).get(poetry_path[-1]))
        or cfg_get(cfg, section, key)
        or _str((setup_py.literals if setup_py else {}).get(setup_key))
    )


# --- packages and tests ---------------------------------------------------------------------


def _packages(
    root: Path,
    pyproject: dict[str, Any] | None,
    cfg: configparser.ConfigParser | None,
    setup_py: SetupPy | None,
    name: str | None,
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    paths = _declared_package_paths(root, pyproject, cfg, setup_py, name)
    if not paths:
        paths = _discovered_package_paths(root, name)
    top = _top_level(root, paths)
    if not top:
        return "none", (), ()
    layout = "src" if all(path.startswith("src/") for path in top) else "flat"
    names = tuple(Path(path).name.removesuffix(".py") for path in top)
    return layout, names, tuple(top)


def _declared_package_paths(
    root: Path,
    pyproject: dict[str, Any] | None,
    cfg: configparser.ConfigParser | None,
    setup_py: SetupPy | None,
    name: str | None,
) -> list[str]:
    """Package folders as the build configuration names them, when it names them."""
    tool = _table(pyproject, "tool")
    uv_backend = _table(tool, "uv", "build-backend")
    if uv_backend.get("module-name"):
        module_root = _str(uv_backend.get("module-root"))
        base = "src" if module_root is None else module_root.strip("/") or "."
        names = uv_backend["module-name"]
        listed = names if isinstance(names, list) else [names]
        return [_join(base, str(item).replace(".", "/")) for item in listed]
    hatch = _table(tool, "hatch", "build", "targets", "wheel")
    if isinstance(hatch.get("packages"), list):
        return [str(item).strip("/") for item in hatch["packages"]]
    poetry_packages = _table(tool, "poetry").get("packages")
    if isinstance(poetry_packages, list):
        return [
            _join(str(item.get("from", ".")), str(item["include"]))
            for item in poetry_packages
            if isinstance(item, dict) and isinstance(item.get("include"), str)
        ]
    flit_module = _str(_table(tool, "flit", "module").get("name"))
    if flit_module:
        return _module_candidates(root, flit_module.replace(".", "/"))
    setuptools_paths = _setuptools_paths(root, tool, cfg, setup_py)
    if setuptools_paths:
        return setuptools_paths
    return []


def _setuptools_paths(
    root: Path,
    tool: dict[str, Any],
    cfg: configparser.ConfigParser | None,
    setup_py: SetupPy | None,
) -> list[str]:
    setuptools = _table(tool, "setuptools")
    package_dir = setuptools.get("package-dir")
    base = package_dir.get("", ".") if isinstance(package_dir, dict) else "."
    packages = setuptools.get("packages")
    if isinstance(packages, list):
        return [_join(base, str(p).replace(".", "/")) for p in packages]
    find = _table(setuptools, "packages", "find")
    if find:
        where = find.get("where") or ["."]
        return [_join(str(w), child) for w in where for child in _package_dirs(root / str(w))]
    literals = setup_py.literals if setup_py else {}
    py_base = (
        literals.get("package_dir", {}).get("", ".")
        if isinstance(literals.get("package_dir"), dict)
        else "."
    )
    if isinstance(literals.get("packages"), list) and literals["packages"]:
        return [_join(py_base, str(p).replace(".", "/")) for p in literals["packages"]]
    if setup_py and setup_py.find_packages_where is not None:
        where = setup_py.find_packages_where
        return [_join(where, child) for child in _package_dirs(root / where)]
    if isinstance(literals.get("py_modules"), list):
        return [_join(py_base, f"{m}.py") for m in literals["py_modules"]]
    cfg_base = cfg_package_dir(cfg) or "."
    cfg_packages = cfg_get(cfg, "options", "packages")
    if cfg_packages and cfg_packages.startswith("find"):
        where = cfg_get(cfg, "options.packages.find", "where") or cfg_base
        return [_join(where, child) for child in _package_dirs(root / where)]
    if cfg_packages:
        return [_join(cfg_base, p.replace(".", "/")) for p in cfg_list(cfg_packages)]
    modules = cfg_list(cfg_get(cfg, "options", "py_modules"))
    return [_join(cfg_base, f"{m}.py") for m in modules]


def _join(base: str, child: str) -> str:
    base = base.strip().strip("/")
    child = child.strip().strip("/")
    return child if base in ("", ".") else f"{base}/{child}"


def _package_dirs(folder: Path) -> list[str]:
    """Folders directly under `folder` that are import packages (hold an __init__.py)."""
    if not folder.is_dir():
        return []
    return sorted(
        child.name
        for child in folder.iterdir()
        if child.is_dir()
        and (child / "__init__.py").is_file()
        and child.name.isidentifier()
        and child.name not in NOT_PACKAGES
    )


def _module_candidates(root: Path, module: str) -> list[str]:
    for base in ("src", "."):
        for candidate in (_join(base, module), _join(base, f"{module}.py")):
            if (root / candidate).exists():
                return [candidate]
    return []


def _discovered_package_paths(root: Path, name: str | None) -> list[str]:
    """Where the usual tools would find the package, when no configuration says."""
    src = root / "src"
    if src.is_dir():
        found = [f"src/{child}" for child in _package_dirs(src)]
        found += [f"src/{p.name}" for p in sorted(src.glob("*.py")) if p.stem.isidentifier()]
        if found:
            return found
    found = _package_dirs(root)
    if found:
        return found
    if name:
        module = re.sub(r"[-.]+", "_", name).lower()
        if (root / f"{module}.py").is_file():
            return [f"{module}.py"]
    return []


def _top_level(root: Path, paths: list[str]) -> list[str]:
    """The top-level packages among `paths` ("src/pkg/sub" -> "src/pkg"), that exist."""
    found: list[str] = []
    for path in paths:
        parts = path.split("/")
        start = 1 if parts[0] == "src" and len(parts) > 1 else 0
        if path.startswith(("src/",)) or len(parts) == 1:
            top = "/".join(parts[: start + 1])
        else:
            top = _outermost_package(root, parts)
        if top and (root / top).exists() and top not in found:
            found.append(top)
    return [p for p in found if Path(p).name.removesuffix(".py") not in NOT_PACKAGES]


def _outermost_package(root: Path, parts: list[str]) -> str:
    """For "lib/pkg/sub": the first folder from the root that is a package ("lib/pkg")."""
    for end in range(1, len(parts) + 1):
        candidate = "/".join(parts[:end])
        if (root / candidate / "__init__.py").is_file() or candidate.endswith(".py"):
            return candidate
    return "/".join(parts)


def _test_paths(
    root: Path,
    pyproject: dict[str, Any] | None,
    cfg: configparser.ConfigParser | None,
    package_paths: tuple[str, ...],
) -> tuple[str, ...]:
    declared = _pytest_testpaths(root, pyproject, cfg)
    if declared:
        return tuple(path for path in declared if (root / path).exists())
    found = [name for name in ("tests", "test") if (root / name).is_dir()]
    for package in package_paths:
        found += [
            f"{package}/{name}" for name in ("tests", "test") if (root / package / name).is_dir()
        ]
    return tuple(found)


def _pytest_testpaths(
    root: Path, pyproject: dict[str, Any] | None, cfg: configparser.ConfigParser | None
) -> list[str]:
    where = _pytest_config(root, pyproject, cfg)
    if where == "pyproject.toml":
        options = _table(pyproject, "tool", "pytest", "ini_options") or _table(
            pyproject, "tool", "pytest"
        )
        value = options.get("testpaths")
        if isinstance(value, str):
            return value.split()
        return [str(v) for v in value] if isinstance(value, list) else []
    section = {"pytest.ini": "pytest", ".pytest.ini": "pytest", "tox.ini": "pytest"}.get(
        where or "", "tool:pytest"
    )
    source = cfg if where == "setup.cfg" else read_setup_cfg(root / where) if where else None
    text = cfg_get(source, section, "testpaths")
    return text.split() if text else []


# --- version --------------------------------------------------------------------------------


def _version(
    root: Path,
    pyproject: dict[str, Any] | None,
    cfg: configparser.ConfigParser | None,
    setup_py: SetupPy | None,
    package_paths: tuple[str, ...],
) -> VersionSource:
    project = _table(pyproject, "project")
    tool = _table(pyproject, "tool")
    static = _str(project.get("version"))
    if static:
        return VersionSource(
            VersionKind.STATIC, static, ("pyproject.toml", *_literal_files(root, package_paths))
        )
    if project or not _table(tool, "poetry"):
        dynamic = _dynamic_version(root, pyproject, cfg, setup_py, package_paths)
        if dynamic is not None:
            return dynamic
    poetry_version = _str(_table(tool, "poetry").get("version"))
    if _poetry_dynamic(pyproject):
        return VersionSource(VersionKind.POETRY_DYNAMIC)
    if poetry_version:
        return VersionSource(
            VersionKind.POETRY,
            poetry_version,
            ("pyproject.toml", *_literal_files(root, package_paths)),
        )
    return VersionSource(VersionKind.UNKNOWN)


def _dynamic_version(
    root: Path,
    pyproject: dict[str, Any] | None,
    cfg: configparser.ConfigParser | None,
    setup_py: SetupPy | None,
    package_paths: tuple[str, ...],
) -> VersionSource | None:
    tool = _table(pyproject, "tool")
    backend = _str(_table(pyproject, "build-system").get("build-backend")) or ""
    requires = " ".join(str(r) for r in _table(pyproject, "build-system").get("requires", []))
    if _poetry_dynamic(pyproject):
        return VersionSource(VersionKind.POETRY_DYNAMIC)
    if backend.startswith("hatchling"):
        hatch_version = _table(tool, "hatch", "version")
        if hatch_version.get("source") == "vcs":
            return VersionSource(VersionKind.HATCH_VCS)
        if hatch_version.get("source") == "uv-dynamic-versioning":
            return VersionSource(VersionKind.UV_DYNAMIC)
        if _str(hatch_version.get("path")):
            return _module_version(root, hatch_version["path"])
    if backend.startswith("pdm"):
        pdm_version = _table(tool, "pdm", "version")
        if pdm_version.get("source") == "scm":
            return VersionSource(VersionKind.PDM_SCM)
        if _str(pdm_version.get("path")):
            return _module_version(root, pdm_version["path"])
    if backend.startswith("flit"):
        module = next((p for p in package_paths), None)
        if module:
            init = module if module.endswith(".py") else f"{module}/__init__.py"
            return _module_version(root, init)
    if (
        "setuptools_scm" in tool
        or "setuptools-scm" in tool
        or re.search(r"setuptools[_-]scm", requires)
        or (setup_py is not None and setup_py.uses_scm_version)
    ):
        return VersionSource(VersionKind.SETUPTOOLS_SCM)
    if _uses_versioneer(root, tool, cfg, setup_py, requires):
        return VersionSource(VersionKind.VERSIONEER)
    attr = _table(tool, "setuptools", "dynamic", "version").get("attr")
    if isinstance(attr, str):
        return _attr_version(root, attr, pyproject, cfg, package_paths)
    return _setuptools_files_version(root, cfg, setup_py, pyproject, package_paths)


def _setuptools_files_version(
    root: Path,
    cfg: configparser.ConfigParser | None,
    setup_py: SetupPy | None,
    pyproject: dict[str, Any] | None,
    package_paths: tuple[str, ...],
) -> VersionSource | None:
    cfg_version = cfg_get(cfg, "metadata", "version")
    if cfg_version and cfg_version.startswith("attr:"):
        return _attr_version(root, cfg_version[5:].strip(), pyproject, cfg, package_paths)
    if cfg_version and not cfg_version.startswith("file:"):
        files = ("setup.cfg", *_literal_files(root, package_paths))
        return VersionSource(VersionKind.SETUP_CFG, cfg_version, files)
    literal = _str((setup_py.literals if setup_py else {}).get("version"))
    if literal:
        files = ("setup.py", *_literal_files(root, package_paths))
        return VersionSource(VersionKind.SETUP_PY, literal, files)
    return None


def _poetry_dynamic(pyproject: dict[str, Any] | None) -> bool:
    table = _table(pyproject, "tool", "poetry-dynamic-versioning")
    if isinstance(table.get("enable"), bool):
        return bool(table["enable"])  # an sdist turns it off once the version is written in
    backend = _str(_table(pyproject, "build-system").get("build-backend")) or ""
    return backend.startswith("poetry_dynamic_versioning")


def _uses_versioneer(
    root: Path,
    tool: dict[str, Any],
    cfg: configparser.ConfigParser | None,
    setup_py: SetupPy | None,
    requires: str,
) -> bool:
    configured = "versioneer" in tool or (cfg is not None and cfg.has_section("versioneer"))
    in_setup = setup_py is not None and setup_py.uses_versioneer
    return (
        configured and (in_setup or "versioneer" in requires or (root / "versioneer.py").is_file())
    ) or (in_setup and (root / "versioneer.py").is_file())


def _attr_version(
    root: Path,
    attr: str,
    pyproject: dict[str, Any] | None,
    cfg: configparser.ConfigParser | None,
    package_paths: tuple[str, ...],
) -> VersionSource:
    module = attr.rsplit(".", 1)[0].replace(".", "/")
    bases = {"src", ".", *(str(Path(p).parent) for p in package_paths)}
    for base in sorted(bases):
        for candidate in (f"{module}/__init__.py", f"{module}.py"):
            relative = _join(base, candidate)
            if (root / relative).is_file():
                return _module_version(root, relative)
    return VersionSource(VersionKind.MODULE)


def _module_version(root: Path, relative: str) -> VersionSource:
    literal = _literal_in(root / relative)
    return VersionSource(VersionKind.MODULE, literal, (relative,) if literal else ())


def _literal_in(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match = VERSION_LITERAL.search(text)
    return match["version"] if match else None


def _literal_files(root: Path, package_paths: tuple[str, ...]) -> tuple[str, ...]:
    """Modules of the packages holding a literal `__version__`: bumped with the version."""
    found = []
    for package in package_paths:
        if package.endswith(".py"):
            candidates = [package]
        else:
            candidates = [f"{package}/{module}" for module in VERSION_MODULES]
        for candidate in candidates:
            path = root / candidate
            if path.is_file() and _literal_in(path) and not _generated_file(path):
                found.append(candidate)
    return tuple(found)


def _generated_file(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8")[:2000]
    except (OSError, UnicodeDecodeError):
        return False
    return bool(
        re.search(r"generated by|file generated|do not (edit|change|track)|versioneer", head, re.I)
    )


# --- git ------------------------------------------------------------------------------------


def _git_facts(root: Path) -> tuple[list[str], str | None, dict[str, str], bool]:
    from qdev.tools import git

    if not root.is_dir() or git.toplevel(root) is None:
        return [], None, {}, False
    repo = git.open_repo(root)
    tags = git.tag_list(root)
    try:
        branch: str | None = git.default_branch(repo)
    except git.GitError:
        branch = git.current_branch(repo)
    branch = branch.removeprefix("origin/") if branch else None
    return tags, branch, git.ignored_by(root, QDEV_WRITES), True


# --- where tools read their config ----------------------------------------------------------


def _tool_configs(
    root: Path, pyproject: dict[str, Any] | None, cfg: configparser.ConfigParser | None
) -> dict[str, str]:
    tool = _table(pyproject, "tool")
    tox = read_setup_cfg(root / "tox.ini")
    found: dict[str, str] = {}

    def first(name: str, *candidates: tuple[str, bool]) -> None:
        for path, present in candidates:
            if present:
                found[name] = path
                return

    def has(parser: configparser.ConfigParser | None, *sections: str) -> bool:
        if parser is None:
            return False
        return any(
            parser.has_section(s) or any(x.startswith(s + ":") for x in parser.sections())
            for s in sections
        )

    def file(name: str) -> bool:
        return (root / name).is_file()

    first("ruff", (".ruff.toml", file(".ruff.toml")), ("ruff.toml", file("ruff.toml")),
          ("pyproject.toml", "ruff" in tool))  # fmt: skip
    pytest_file = _pytest_config(root, pyproject, cfg)
    if pytest_file:
        found["pytest"] = pytest_file
    first("mypy", ("mypy.ini", file("mypy.ini")), (".mypy.ini", file(".mypy.ini")),
          ("pyproject.toml", "mypy" in tool), ("setup.cfg", has(cfg, "mypy")))  # fmt: skip
    first("coverage", (".coveragerc", file(".coveragerc")),
          ("setup.cfg", has(cfg, "coverage:run", "coverage:report")),
          ("tox.ini", has(tox, "coverage:run", "coverage:report")),
          ("pyproject.toml", "coverage" in tool))  # fmt: skip
    first("black", ("pyproject.toml", "black" in tool))
    first("isort", (".isort.cfg", file(".isort.cfg")), ("pyproject.toml", "isort" in tool),
          ("setup.cfg", has(cfg, "isort", "tool:isort")),
          ("tox.ini", has(tox, "isort", "tool:isort")))  # fmt: skip
    first("flake8", (".flake8", file(".flake8")), ("setup.cfg", has(cfg, "flake8")),
          ("tox.ini", has(tox, "flake8")))  # fmt: skip
    first("pyright", ("pyrightconfig.json", file("pyrightconfig.json")),
          ("pyproject.toml", "pyright" in tool))  # fmt: skip
    first("tox", ("tox.ini", file("tox.ini")), ("pyproject.toml", "tox" in tool))
    return found


def _pytest_config(
    root: Path, pyproject: dict[str, Any] | None, cfg: configparser.ConfigParser | None
) -> str | None:
    """The file pytest takes its config from, in pytest's own order."""
    if (root / "pytest.ini").is_file():
        return "pytest.ini"
    if (root / ".pytest.ini").is_file():
        return ".pytest.ini"
    pytest_table = _table(pyproject, "tool", "pytest")
    if pytest_table:
        return "pyproject.toml"
    tox = read_setup_cfg(root / "tox.ini")
    if tox is not None and tox.has_section("pytest"):
        return "tox.ini"
    if cfg is not None and cfg.has_section("tool:pytest"):
        return "setup.cfg"
    return None


# --- the rest -------------------------------------------------------------------------------


def _ci_files(root: Path) -> tuple[str, ...]:
    found = [name for name in CI_FILES if (root / name).is_file()]
    workflows = root / ".github" / "workflows"
    if workflows.is_dir():
        found += [
            f".github/workflows/{p.name}"
            for p in sorted(workflows.iterdir())
            if p.suffix in (".yml", ".yaml")
        ]
    return tuple(found)


def _generated(
    root: Path,
    pyproject: dict[str, Any] | None,
    cfg: configparser.ConfigParser | None,
    package_paths: tuple[str, ...],
    version: VersionSource,
) -> tuple[str, ...]:
    tool = _table(pyproject, "tool")
    found: list[str] = []
    if (root / "versioneer.py").is_file():
        found.append("versioneer.py")
    declared = [
        cfg_get(cfg, "versioneer", "versionfile_source"),
        _str(_table(tool, "versioneer").get("versionfile_source")),
        _str(_table(tool, "setuptools_scm").get("write_to")),
        _str(_table(tool, "setuptools_scm").get("version_file")),
        _str(_table(tool, "hatch", "build", "hooks", "vcs").get("version-file")),
        _str(_table(tool, "pdm", "version").get("write_to")),
    ]
    found += [path.strip("/") for path in declared if path]
    if version.from_tags or version.kind == VersionKind.MODULE:
        for package in package_paths:
            for module in ("_version.py", "version.py"):
                candidate = f"{package}/{module}"
                if (root / candidate).is_file() and _generated_file(root / candidate):
                    found.append(candidate)
    return tuple(dict.fromkeys(found))


def _dev_group(pyproject: dict[str, Any] | None) -> str | None:
    groups = _table(pyproject, "dependency-groups")
    if "dev" in groups:
        return "dev"
    if isinstance(_table(pyproject, "tool", "uv").get("dev-dependencies"), list):
        return "tool.uv.dev-dependencies"
    return None


def _test_extra(project: dict[str, Any]) -> str | None:
    extras = project.get("optional-dependencies")
    if not isinstance(extras, dict):
        return None
    return next((name for name in ("test", "tests", "testing", "dev") if name in extras), None)


def _migration(root: Path, pyproject: dict[str, Any] | None, poetry: dict[str, Any]) -> str | None:
    if "project" in (pyproject or {}):
        return None
    if poetry:
        return "poetry"
    if (root / "Pipfile").is_file():
        return "pipenv"
    if (root / "setup.py").is_file() or (root / "setup.cfg").is_file():
        return "setup.py"
    return None


def describe(facts: RepoFacts) -> list[tuple[str, str]]:
    """The facts as (label, value) rows, for `qdev init --dry-run` and `--json`."""
    version = facts.version.kind.value
    if facts.version.value:
        version += f" {facts.version.value}"
    if facts.version.files:
        version += f" ({', '.join(facts.version.files)})"
    configs = ", ".join(f"{tool}: {path}" for tool, path in sorted(facts.tool_configs.items()))
    ignored = ", ".join(f"{path} ({rule})" for path, rule in sorted(facts.ignored.items()))
    rows = [
        ("name", facts.name or "-"),
        ("build backend", facts.backend or "none ([build-system] missing)"),
        ("version", version),
        ("requires-python", facts.requires_python or "-"),
        ("layout", facts.layout),
        ("packages", ", ".join(facts.package_paths) or "-"),
        ("tests", ", ".join(facts.test_paths) or "-"),
        ("default branch", facts.default_branch or "-"),
        (
            "tag format",
            f"{facts.tag_format} (latest {facts.latest_tag})"
            if facts.tag_format
            else "- (no release tags)",
        ),
        ("tool configs", configs or "-"),
        ("pre-commit", facts.pre_commit or "-"),
        ("CI", ", ".join(facts.ci_files) or "-"),
        ("generated", ", ".join(facts.generated) or "-"),
        ("dev group", facts.dev_group or "- (a dev group is added)"),
        ("test extra", facts.test_extra or "-"),
        ("hidden by .gitignore", ignored or "-"),
    ]
    if facts.migration:
        rows.append(("needs migration", facts.migration))
    return rows
