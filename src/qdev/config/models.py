"""Pydantic models for the whole `qdev.toml` schema. An empty file is valid.

Unknown keys are forbidden everywhere so that a typo is an error with a suggestion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from qdev.config import rules
from qdev.config._locate import KeyPath
from qdev.config.problems import LocatedValueError, render_value

PYTHON_VERSION = re.compile(r"^3\.\d{1,2}$")
STEP_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
BUILTIN_STEPS = (
    "format", "lint", "typecheck", "test", "audit", "secrets", "lock", "notebooks", "filesize"
)  # fmt: skip
RESEARCH_STEPS = ("notebooks", "filesize")
"""Built-in steps that run by default only where check.steps names them (research repos do)."""
DEFAULT_STEPS = tuple(step for step in BUILTIN_STEPS if step not in RESEARCH_STEPS)


class Strict(BaseModel):
    """Unknown keys are errors; attribute docstrings become the schema's descriptions."""

    # strict: TOML has real types, so "yes" is not true and "85" is not 85 (enums opt out);
    # inf and nan are no sensible number for any setting. Not use_attribute_docstrings: it
    # reads every model's source at import, a third of this module's import time on every
    # command; schema.py reads the docstrings once, when the schema is asked for.
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        validate_assignment=True,
        allow_inf_nan=False,
    )

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        # A NUL cannot reach a file name, an argument or an environment variable.
        for path, text in _texts(data):
            if rules.has_nul(text):
                raise LocatedValueError(path, "text without NUL characters (\\u0000)")
        return data


def _texts(data: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    """Every key and string value in raw data, with the path that leads to it."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                yield (*path, key), key
            yield from _texts(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _texts(item, (*path, index))


def _refuse(loc: KeyPath, problem: str | None, value: str) -> None:
    if problem is not None:
        raise LocatedValueError(loc, f"{problem}, got {render_value(value)}")


def _text_rule(rule: Callable[[str], str | None]) -> Callable[[str], str]:
    """A field validator that refuses what `rule` (from rules.py) finds wrong."""

    def check(value: str) -> str:
        _refuse((), rule(value), value)
        return value

    return check


Timeout = Annotated[float, Field(gt=0, le=rules.MAX_TIMEOUT)]


class Kind(StrEnum):
    """The kind of repository, which picks the profile's templates."""

    LIBRARY = "library"
    RESEARCH = "research"
    SERVICE = "service"


def _check_python_versions(versions: list[str]) -> list[str]:
    for index, version in enumerate(versions):
        if not PYTHON_VERSION.match(version):
            raise LocatedValueError((index,), f'a Python version like "3.12", got "{version}"')
        if version in versions[:index]:
            raise LocatedValueError((index,), f'each Python version once, got "{version}" twice')
    return versions


class ProjectConfig(Strict):
    """What the repository is."""

    name: str | None = None
    """Distribution name; defaults to the folder name."""
    kind: Kind = Field(default=Kind.LIBRARY, strict=False)
    """library, research or service."""
    python: list[str] = Field(default_factory=lambda: ["3.11", "3.12", "3.13"], min_length=1)
    """Supported Python versions, oldest first; the first is the default interpreter."""

    _check_python = field_validator("python")(_check_python_versions)

    @field_validator("name")
    @classmethod
    def _distribution_name(cls, name: str | None) -> str | None:
        if name is not None:
            _refuse((), rules.distribution_name(name), name)
        return name


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
    branch: str | None = None
    """Instead of `ref`: a branch to follow on purpose (`qdev sync` takes its newest commit)."""

    @field_validator("name", "path", "git", "ref", "branch")
    @classmethod
    def _not_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(f"a name, path or URL, got {render_value(value)}")
        return value

    @model_validator(mode="after")
    def _exactly_one_source(self) -> ExtendsConfig:
        given = [key for key in ("name", "path", "git") if getattr(self, key)]
        if len(given) > 1:
            raise ValueError(f"one of name, path or git, got {' and '.join(given)}")
        if self.ref and self.branch:
            raise ValueError("ref pins a tag or commit, branch follows a branch: give one")
        if self.git and not (self.ref or self.branch):
            raise ValueError("a git profile needs a pinned ref (a tag or commit)")
        if (self.ref or self.branch) and not self.git:
            raise ValueError(f"{'ref' if self.ref else 'branch'} only goes with git")
        return self


class EnvConfig(Strict):
    """How `qdev env` builds the environment with uv."""

    indexes: dict[str, str] = Field(default_factory=dict)
    """Package index URLs by name, e.g. {internal = "https://pypi.internal/simple"}."""
    uv_args: list[str] = Field(default_factory=list)
    """Extra arguments passed to every `uv sync`."""

    @field_validator("indexes")
    @classmethod
    def _urls(cls, indexes: dict[str, str]) -> dict[str, str]:
        for name, url in indexes.items():
            _refuse((name,), rules.index_name(name), name)
            _refuse((name,), rules.index_url(url), url)
        return indexes


class StepOptions(Strict):
    """Options of one built-in check step."""

    enabled: bool = True
    """Whether the step runs; a disabled step is skipped even when listed in check.steps."""
    args: list[str] = Field(default_factory=list)
    """Extra arguments for the step's tool."""
    timeout: Timeout = 1800
    """Seconds before the step is stopped (at most a day)."""


class TypecheckOptions(StepOptions):
    """Options of the typecheck step."""

    tool: Literal["mypy", "pyright"] = "mypy"
    """The type checker to run."""


class TestOptions(StepOptions):
    """Options of the test step."""

    workers: Literal["auto"] | Annotated[int, Field(ge=1, le=256)] = "auto"
    """pytest processes the test files are spread over: "auto" uses the cores the other steps
    leave free when the suite is big enough to gain; 1 runs every test in one process."""


class SecretsOptions(StepOptions):
    """Options of the secret-scanning step."""

    allowlist: list[str] = Field(default_factory=list)
    """Paths (globs) or secret hashes that are not credentials."""


# -- research repos: notebooks, the size guard, datasets -----------------------------------------

ScalarParameter = str | int | float | bool
NotebookParameter = ScalarParameter | list[ScalarParameter]
StorageValue = ScalarParameter | dict[str, ScalarParameter]
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DATASET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
URL_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
# Option names that hold credentials: those come from the storage backend's own chain.
CREDENTIAL_KEY = re.compile(r"secret|passw|token|credential|(^|_)key($|_)", re.IGNORECASE)


def _check_parameters(parameters: dict[str, NotebookParameter]) -> dict[str, NotebookParameter]:
    for name in parameters:
        if not IDENTIFIER.match(name):
            raise LocatedValueError((name,), f'a Python variable name, got "{name}"')
    return parameters


class NotebooksOptions(StepOptions):
    """Options of the notebooks step: which notebooks run, for how long, with which parameters."""

    paths: list[str] = Field(default_factory=lambda: ["notebooks/**/*.ipynb"])
    """Globs of notebooks (tracked or new) to execute, relative to the repo root."""
    cell_timeout: Annotated[float, Field(gt=0)] = 600
    """Seconds one cell may run before the notebook fails."""
    parameters: dict[str, NotebookParameter] = Field(default_factory=dict)
    """Values set in a cell injected after the cell tagged "parameters" (or first)."""
    ci_parameters: dict[str, NotebookParameter] = Field(default_factory=dict)
    """Values that replace `parameters` when the CI variable is set, e.g. a shorter date range."""

    _check_parameters = field_validator("parameters", "ci_parameters")(_check_parameters)


class FilesizeOptions(StepOptions):
    """Options of the file size guard."""

    max_kb: Annotated[int, Field(ge=1)] = 1024
    """The largest tracked file allowed, in KiB; data belongs in the data folder."""
    allow: list[str] = Field(default_factory=list)
    """Globs of tracked files allowed above the limit."""


class Dataset(Strict):
    """A dataset the repo needs: where it comes from and its content hash."""

    url: str
    """s3://, gs://, https:// or another fsspec URL, or a local path (relative to the repo)."""
    sha256: str
    """The SHA-256 of the file's content, 64 lowercase hex digits (qdev data add fills it in)."""
    path: str | None = None
    """Where it goes, relative to research.data_dir; default the URL's file name."""

    @field_validator("url")
    @classmethod
    def _no_secret_in_url(cls, url: str) -> str:
        from urllib.parse import urlsplit

        if not url.strip():
            raise ValueError("a URL or a path, got an empty string")
        if URL_SCHEME.match(url) and urlsplit(url).password:
            raise ValueError(
                "a URL without a password: credentials come from the storage's own chain "
                "(environment, ~/.aws, ...), never from qdev.toml"
            )
        return url

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, digest: str) -> str:
        if not SHA256.match(digest):
            raise ValueError(f'64 lowercase hex digits, got "{digest}"')
        return digest

    @field_validator("path")
    @classmethod
    def _inside_data_dir(cls, path: str | None) -> str | None:
        if path is not None and (
            not path or path.startswith("/") or ".." in path.split("/") or "\\" in path
        ):
            raise ValueError(f'a relative path inside the data folder, got "{path}"')
        return path


class ResearchConfig(Strict):
    """Research repos: the data folder, the datasets, the Jupyter kernel."""

    data_dir: str = "data"
    """The folder datasets are fetched into, relative to the repo root (git-ignored)."""
    kernel: bool = True
    """`qdev env` registers .venv as a Jupyter kernel named after the repo."""
    storage: dict[str, dict[str, StorageValue]] = Field(default_factory=dict)
    """fsspec options by protocol, e.g. {s3 = {endpoint_url = "..."}}; never credentials."""
    data: dict[str, Dataset] = Field(default_factory=dict)
    """The datasets, by name."""

    @field_validator("data")
    @classmethod
    def _dataset_names(cls, data: dict[str, Dataset]) -> dict[str, Dataset]:
        for name in data:
            if not DATASET_NAME.match(name):
                raise LocatedValueError(
                    (name,), f'a name of letters, digits, ".", "-" and "_", got "{name}"'
                )
        return data

    @field_validator("storage")
    @classmethod
    def _no_credentials(
        cls, storage: dict[str, dict[str, StorageValue]]
    ) -> dict[str, dict[str, StorageValue]]:
        for protocol, options in storage.items():
            for key, value in options.items():
                inner = [(key, name) for name in value] if isinstance(value, dict) else []
                for where in [(key,), *inner]:
                    if CREDENTIAL_KEY.search(where[-1]):
                        raise LocatedValueError(
                            (protocol, *where),
                            "an option that is not a credential (credentials go where the "
                            "storage backend looks: environment, ~/.aws/credentials, gcloud "
                            f'auth), got "{where[-1]}"',
                        )
        return storage

    @field_validator("data_dir")
    @classmethod
    def _relative_folder(cls, folder: str) -> str:
        if not folder or folder.startswith("/") or ".." in folder.split("/"):
            raise ValueError(f'a folder inside the repo, got "{folder}"')
        return folder


class CustomStep(Strict):
    """A step of the repo's own: a command run like the built-in steps."""

    run: list[str] = Field(min_length=1)
    """The command as an argument list, never a shell string."""
    cwd: str = "."
    """Working folder, relative to the repo root."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for the command."""
    depends_on: list[str] = Field(default_factory=list)
    """Steps that must pass first."""
    inputs: list[str] = Field(default_factory=lambda: ["**/*"])
    """Globs of tracked files whose content decides whether a cached result still holds."""
    timeout: Timeout = 1800
    """Seconds before the step is stopped (at most a day)."""

    @field_validator("run")
    @classmethod
    def _a_program(cls, run: list[str]) -> list[str]:
        if run and not run[0].strip():
            raise LocatedValueError((0,), "a program to run, got an empty text")
        return run

    @field_validator("cwd")
    @classmethod
    def _inside_the_repo(cls, cwd: str) -> str:
        _refuse((), rules.repo_path(cwd, what="a folder"), cwd)
        return cwd

    @field_validator("env")
    @classmethod
    def _variable_names(cls, env: dict[str, str]) -> dict[str, str]:
        for name in env:
            _refuse((name,), rules.env_name(name), name)
        return env


class CheckConfig(Strict):
    """What `qdev check` runs and how."""

    steps: list[str] = Field(default_factory=lambda: list(DEFAULT_STEPS))
    """Steps `qdev check` runs by default, built-in or custom."""
    coverage: Annotated[float, Field(ge=0, le=100)] = 80
    """Minimum test coverage, in percent."""
    jobs: Annotated[int, Field(ge=1, le=256)] | None = None
    """Steps run at once; default the CPU count."""
    format: StepOptions = Field(default_factory=StepOptions)
    """The format step (ruff format --check)."""
    lint: StepOptions = Field(default_factory=StepOptions)
    """The lint step (ruff check)."""
    typecheck: TypecheckOptions = Field(default_factory=TypecheckOptions)
    """The typecheck step (mypy or pyright)."""
    test: TestOptions = Field(default_factory=TestOptions)
    """The test step (pytest with coverage)."""
    audit: StepOptions = Field(default_factory=StepOptions)
    """The dependency audit step (pip-audit)."""
    secrets: SecretsOptions = Field(default_factory=SecretsOptions)
    """The secret scan step."""
    lock: StepOptions = Field(default_factory=StepOptions)
    """The lock freshness step (uv lock --check)."""
    notebooks: NotebooksOptions = Field(default_factory=NotebooksOptions)
    """The notebooks step: execute notebooks top to bottom in the repo's environment."""
    filesize: FilesizeOptions = Field(default_factory=FilesizeOptions)
    """The file size guard: no tracked file above a limit."""
    custom: dict[str, CustomStep] = Field(default_factory=dict)
    """Custom steps by name."""

    @model_validator(mode="after")
    def _known_steps(self) -> CheckConfig:
        known = set(BUILTIN_STEPS) | set(self.custom)
        for name in self.custom:
            if not STEP_NAME.match(name):
                raise LocatedValueError(
                    ("custom", name),
                    f'a step name of lowercase letters, digits, - and _, got "{name}"',
                )
            if name in BUILTIN_STEPS:
                raise LocatedValueError(
                    ("custom", name), f'a name that is not a built-in step\'s, got "{name}"'
                )
        for index, step in enumerate(self.steps):
            if step not in known:
                raise LocatedValueError(
                    ("steps", index), f'a built-in or custom step, got "{step}"'
                )
        for name, custom in self.custom.items():
            for index, dep in enumerate(custom.depends_on):
                if dep not in known:
                    raise LocatedValueError(
                        ("custom", name, "depends_on", index), f'a known step, got "{dep}"'
                    )
        self._no_cycle()
        return self

    def _no_cycle(self) -> None:
        """Custom steps must not wait for each other in a ring (built-in steps wait for none)."""
        for start in self.custom:
            cycle = _cycle_from(start, {n: s.depends_on for n, s in self.custom.items()})
            if cycle:
                index = self.custom[start].depends_on.index(cycle[1])
                raise LocatedValueError(
                    ("custom", start, "depends_on", index),
                    f"steps that do not wait for each other in a ring, got {' -> '.join(cycle)}",
                )


def _cycle_from(start: str, depends_on: dict[str, list[str]]) -> list[str] | None:
    """A path start -> ... -> start along depends_on, if there is one (no recursion)."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        name, path = stack.pop()
        for dep in depends_on.get(name, []):
            if dep == start:
                return [*path, dep]
            if dep not in seen:
                seen.add(dep)
                stack.append((dep, [*path, dep]))
    return None


class Scheme(StrEnum):
    """How versions are numbered."""

    SEMVER = "semver"
    CALVER = "calver"
    PEP440 = "pep440"


class ReleaseConfig(Strict):
    """How `qdev release` cuts a release."""

    scheme: Scheme = Field(default=Scheme.SEMVER, strict=False)
    """Version scheme: semver, calver or pep440."""
    calver_format: str = "YYYY.0M.MICRO"
    """Used with scheme = "calver", e.g. "YYYY.MM.DD" or "YYYY.0M.MICRO"."""
    tag_format: str = "v{version}"
    """The git tag of a release; must contain "{version}"."""
    branch: str = "main"
    """The only branch releases are cut from."""
    changelog: str = "CHANGELOG.md"
    """The changelog file, relative to the repo root."""
    version_files: list[str] = Field(default_factory=list)
    """Extra files holding the version, e.g. "src/pkg/__init__.py"."""
    sign: Literal[False, "gpg", "ssh"] = False
    """Sign the release tag: false, "gpg" or "ssh"."""
    push: bool = True
    """Push the release commit and tag to the remote."""
    publish: bool = False
    """Publish the built distributions to publish_index."""
    publish_index: str | None = None
    """The URL or name (from env.indexes) of the index to publish to."""

    _formats_a_tag = field_validator("tag_format")(_text_rule(rules.tag_format))
    _formats_a_date = field_validator("calver_format")(_text_rule(rules.calver_format))
    _a_branch = field_validator("branch")(_text_rule(rules.branch_name))

    @field_validator("changelog")
    @classmethod
    def _a_changelog_file(cls, value: str) -> str:
        if value:  # "" means: no changelog
            _refuse((), rules.file_path(value), value)
        return value

    @field_validator("version_files")
    @classmethod
    def _version_files(cls, files: list[str]) -> list[str]:
        for index, name in enumerate(files):
            _refuse((index,), rules.file_path(name), name)
            if name in files[:index]:
                raise LocatedValueError((index,), f'each file once, got "{name}" twice')
        return files


class CiConfig(Strict):
    """The CI pipeline `qdev ci` generates."""

    provider: Literal["github", "gitlab"] = "github"
    """The CI service."""
    python: list[str] | None = None
    """The CI Python matrix; default project.python."""

    _check_python = field_validator("python")(
        lambda versions: versions if versions is None else _check_python_versions(versions)
    )


class QdevConfig(Strict):
    """The whole `qdev.toml` (or `[tool.qdev]` in `pyproject.toml`)."""

    extends: ExtendsConfig | None = None
    """The team profile this repo follows; its qdev.toml is the base of this one."""
    project: ProjectConfig = Field(default_factory=ProjectConfig)
    """Name, kind and supported Python versions of the repository."""
    env: EnvConfig = Field(default_factory=EnvConfig)
    """How the environment is built."""
    check: CheckConfig = Field(default_factory=CheckConfig)
    """What `qdev check` runs."""
    release: ReleaseConfig = Field(default_factory=ReleaseConfig)
    """How releases are cut."""
    ci: CiConfig = Field(default_factory=CiConfig)
    """The generated CI pipeline."""
    research: ResearchConfig = Field(default_factory=ResearchConfig)
    """Research repos: the datasets they need and their Jupyter kernel."""

    @model_validator(mode="after")
    def _publish_index_is_known(self) -> QdevConfig:
        target = self.release.publish_index
        if target and not re.match(r"^https?://", target) and target not in self.env.indexes:
            known = ", ".join(self.env.indexes) or "none is defined"
            raise LocatedValueError(
                ("release", "publish_index"),
                f'an upload URL or a name from env.indexes ({known}), got "{target}"',
            )
        return self

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
    """Print more detail by default, as with -v."""
