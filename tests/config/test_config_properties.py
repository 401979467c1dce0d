"""Generated configurations: `qdev config validate` never crashes (exit 0 or 2, never 70), and
what it accepts, loading accepts and the commands can use (git takes the tag and branch, the
paths stay in the repo, the formats format)."""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from qdev.__main__ import main
from qdev.config import rules
from qdev.config.layers import dotted
from qdev.config.loader import LoadedConfig, load_config
from qdev.config.models import BUILTIN_STEPS, QdevConfig
from qdev.config.render import toml_value
from qdev.errors import ConfigError

# Values that sit on the edges of what each kind of setting takes.
EDGE_TEXTS = [
    "",
    " ",
    ".",
    "..",
    "../x",
    "a/../../x",
    "/etc/passwd",
    "~/x",
    "C:\\x",
    "src",
    "src/",
    "v.py",
    "CHANGELOG.md",
    "docs/CHANGES.md",
    "link",
    "link/x",
    "nowhere/x",
    "v{version}",
    "{version}",
    "{x}",
    "{}",
    "{0}",
    "{version!r}",
    "{version:>4}",
    "{{version}}",
    "{version",
    "v {version}",
    "{version}.lock",
    "-{version}",
    "a..b",
    "@",
    "HEAD",
    "main",
    "-main",
    "release/x",
    "a//b",
    "x.lock",
    "YYYY.0M.MICRO",
    "YY.0W",
    "MICRO",
    "YYYY.QQ",
    "A=B",
    "_OK",
    "1X",
    "https://h/simple",
    "https://u:p@h/simple",
    "https://",
    "http://h:99999/",
    "file:///srv/simple",
    "file://",
    "ftp://h",
    "lint",
    "test",
    "a",
    "b",
    "\x00",
    "x\x00y",
    "semver",
    "calver",
    "pep440",
    "gpg",
    "ssh",
    "github",
    "gitlab",
    "library",
    "3.12",
    "3.1x",
]
texts = st.one_of(st.sampled_from(EDGE_TEXTS), st.text(max_size=12))
scalars = st.one_of(
    texts,
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 80, 100, 1800, 86400, 86401, 1e308, -1]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(EDGE_TEXTS), inner, max_size=3)
    ),
    max_leaves=12,
)
CUSTOM_KEYS = ["run", "run", "run", "cwd", "env", "depends_on", "inputs", "timeout"]
STEP_KEYS = {"typecheck": ["tool"], "secrets": ["allowlist"]}
KEY_PATHS: list[tuple[str, ...]] = [
    ("project", "name"), ("project", "kind"), ("project", "python"),
    ("env", "indexes"), ("env", "uv_args"),
    ("check", "steps"), ("check", "coverage"), ("check", "jobs"),
    ("release", "scheme"), ("release", "calver_format"), ("release", "tag_format"),
    ("release", "branch"), ("release", "changelog"), ("release", "version_files"),
    ("release", "sign"), ("release", "push"), ("release", "publish"), ("release", "publish_index"),
    ("ci", "provider"), ("ci", "python"), ("extends", "name"), ("extends", "path"),
]  # fmt: skip


@st.composite
def key_paths(draw: st.DrawFn) -> tuple[str, ...]:
    kind = draw(st.sampled_from(["plain", "step", "custom"]))
    if kind == "step":
        step = draw(st.sampled_from(BUILTIN_STEPS))
        keys = ["enabled", "args", "timeout", *STEP_KEYS.get(step, [])]
        return ("check", step, draw(st.sampled_from(keys)))
    if kind == "custom":
        name = draw(st.sampled_from(["a", "a", "a", "b", "b", "lint", "Bad Name"]))
        return ("check", "custom", name, draw(st.sampled_from(CUSTOM_KEYS)))
    return draw(st.sampled_from(KEY_PATHS))


def some(*choices: object) -> st.SearchStrategy[Any]:
    return st.sampled_from(choices)


names = some("a", "b", "lint", "test")
relative = some(".", "src", "v.py", "CHANGELOG.md", "docs/CHANGES.md", "link", "../x", "")
# Values of the right type and mostly right, so that many documents get past validation.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "project.name": st.from_regex(r"[a-z][a-z0-9._-]{0,8}[a-z0-9]", fullmatch=True),
    "project.kind": some("library", "research", "service"),
    "project.python": st.lists(some("3.11", "3.12", "3.13"), min_size=1, max_size=3, unique=True),
    "env.indexes": st.dictionaries(some("team", "a.b", "x y"), some(*EDGE_TEXTS[44:52])),
    "env.uv_args": st.lists(some("--no-cache", "-q"), max_size=2),
    "check.steps": st.lists(some(*BUILTIN_STEPS, "a"), max_size=3),
    "check.coverage": st.floats(0, 100),
    "check.jobs": st.integers(1, 256),
    "enabled": st.booleans(),
    "args": st.lists(some("-q", "--strict"), max_size=2),
    "timeout": st.one_of(*[st.floats(0.5, 86400)] * 6, some(1e308, float("inf"), 0)),
    "tool": some("mypy", "pyright"),
    "allowlist": st.lists(some("tests/**", "*.md"), max_size=2),
    "run": st.lists(some("true", "pytest", "-q", ""), min_size=1, max_size=3),
    "cwd": relative,
    "env": st.dictionaries(some("OMP_NUM_THREADS", "_X", "A=B", ""), some("1", "")),
    "depends_on": st.lists(some("lint", "a", "b"), max_size=2, unique=True),
    "inputs": st.lists(some("**/*", "src/**"), max_size=2),
    "release.scheme": some("semver", "calver", "pep440"),
    "release.calver_format": some("YYYY.0M.MICRO", "YY.0W", "YYYY.MM.DD", "MICRO"),
    "release.tag_format": some("v{version}", "release/{version}", "{version}", "v {version}"),
    "release.branch": some("main", "release/x", "trunk", "", "a..b"),
    "release.changelog": relative,
    "release.version_files": st.lists(relative, max_size=2),
    "release.sign": some(False, "gpg", "ssh"),
    "release.push": st.booleans(),
    "release.publish": st.booleans(),
    "release.publish_index": some("team", "https://upload.example/", "nope"),
    "extends.name": some("default", "nope", "", "../x"),
    "extends.path": some("src", "..", ".", "", "link", "v.py", "nowhere", "a" * 300),
    "ci.provider": some("github", "gitlab"),
    "ci.python": st.lists(some("3.11", "3.12"), min_size=1, unique=True),
}


def plausible(path: tuple[str, ...]) -> st.SearchStrategy[Any]:
    return PLAUSIBLE.get(".".join(path), PLAUSIBLE.get(path[-1], values))


pairs = key_paths().flatmap(
    lambda path: st.tuples(st.just(path), st.one_of(*[plausible(path)] * 15, values))
)
plausible_pairs = key_paths().flatmap(lambda path: st.tuples(st.just(path), plausible(path)))


def nest(pairs: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for path, value in pairs:
        node = document
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[path[-1]] = value
    return document


def with_runs(document: dict[str, Any]) -> dict[str, Any]:
    """Most custom steps get the run they need, so that the rest of them is tried."""
    custom = (
        document.get("check", {}).get("custom", {})
        if isinstance(document.get("check"), dict)
        else {}
    )
    for name, step in custom.items() if isinstance(custom, dict) else []:
        if isinstance(step, dict) and name != "Bad Name":
            step.setdefault("run", ["true"])
    return document


deep_values = st.integers(1, 40).map(lambda depth: "[" * depth + "]" * depth)
documents = st.one_of(st.lists(pairs, max_size=4), st.lists(plausible_pairs, max_size=6)).map(
    lambda found: with_runs(nest(found))
)


def toml_document(document: dict[str, Any], deep: str | None) -> str:
    lines = [f"{dotted((key,))} = {toml_value(value)}" for key, value in document.items()]
    if deep is not None:
        lines.append(f"junk = {deep}")
    return "\n".join(lines) + "\n"


@contextmanager
def a_repo() -> Iterator[Path]:
    """A repo with a file, a folder and a link out of it, for the paths to point at."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "repo"
        (root / ".git").mkdir(parents=True)
        (root / "src").mkdir()
        (root / "v.py").write_text('__version__ = "0.1.0"\n')
        (root / "CHANGELOG.md").write_text("# Changelog\n")
        (root / "link").symlink_to(Path(scratch))
        before = os.getcwd()
        os.chdir(root)
        try:
            yield root
        finally:
            os.chdir(before)


def run_qdev(*args: str) -> tuple[int, str]:
    err = StringIO()
    with redirect_stdout(StringIO()), redirect_stderr(err):
        code = main(list(args))
    return code, err.getvalue()


def git_accepts(*args: str) -> bool:
    done = subprocess.run(["git", "check-ref-format", *args], capture_output=True, check=False)
    return done.returncode == 0


def assert_usable(loaded: LoadedConfig) -> None:
    """What the commands do with the values: none of it may fail."""
    from qdev.release.schemes import CalverFormat

    config, root = loaded.config, loaded.root.resolve()
    release = config.release
    assert git_accepts(f"refs/tags/{release.tag_format.format(version='1.2.3rc1')}")
    assert git_accepts("--branch", release.branch)
    CalverFormat.parse(release.calver_format)
    if release.changelog:
        assert (root / release.changelog).resolve().is_relative_to(root)
        assert not (root / release.changelog).is_dir()
    for name in release.version_files:
        assert (root / name).resolve().is_relative_to(root)
        assert (root / name).is_file()
    for step in config.check.custom.values():
        assert (root / step.cwd).resolve().is_relative_to(root)
        assert (root / step.cwd).is_dir()
        assert math.isfinite(step.timeout)
        assert 0 < step.timeout <= rules.MAX_TIMEOUT
        assert step.run[0].strip()
        assert all(name and "=" not in name for name in step.env)
    for text in _all_texts(config.model_dump()):
        assert "\x00" not in text


def _all_texts(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from _all_texts(value)
    elif isinstance(data, list):
        for item in data:
            yield from _all_texts(item)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=documents, deep=st.one_of(st.none(), deep_values))
def test_validate_never_crashes_and_what_it_accepts_loads_and_works(
    document: dict[str, Any], deep: str | None
) -> None:
    with a_repo() as root:
        (root / "qdev.toml").write_text(toml_document(document, deep), encoding="utf-8")

        code, err = run_qdev("config", "validate")
        event(f"exit {code}")

        assert code in (0, 2), err
        assert "internal error" not in err
        if code == 2:
            assert "qdev.toml" in err
            return
        loaded = load_config(root, environ={})
        assert_usable(loaded)
        assert run_qdev("config", "show", "--sources")[0] == 0
        assert run_qdev("config", "show", "--json")[0] == 0


variables = st.lists(
    pairs.flatmap(
        lambda pair: st.tuples(
            st.just("QDEV_" + "__".join(pair[0]).upper()),
            st.one_of(
                *[st.just(toml_value(pair[1]))] * 6, st.sampled_from(EDGE_TEXTS), deep_values
            ),
        )
    ),
    max_size=4,
).map(dict)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(environ=variables)
def test_environment_variables_never_crash_validate_and_what_it_accepts_loads(
    environ: dict[str, str],
) -> None:
    environ = {name: value for name, value in environ.items() if "\x00" not in value}
    with a_repo() as root, mock.patch.dict(os.environ, environ):
        (root / "qdev.toml").write_text("")

        code, err = run_qdev("config", "validate")
        event(f"exit {code}")

        assert code in (0, 2), err
        assert "internal error" not in err
        assert "environment variable None" not in err
        if code == 0:
            assert_usable(load_config(root))


@settings(max_examples=150, deadline=None)
@given(document=documents)
def test_the_models_and_the_loader_agree(document: dict[str, Any]) -> None:
    """A document the models take alone is taken by the loader, and the other way round."""
    try:
        QdevConfig.model_validate(document)
        models_accept = True
    except ValueError:
        models_accept = False
    with a_repo() as root:
        (root / "qdev.toml").write_text(toml_document(document, None), encoding="utf-8")
        try:
            load_config(root, environ={})
            loader_accepts = True
        except ConfigError:
            loader_accepts = False
    assert loader_accepts <= models_accept
