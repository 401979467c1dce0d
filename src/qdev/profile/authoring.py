"""Team profiles are code: `qdev profile new` starts one, `qdev profile check` tests one.

A profile repository is the built-in profile's layout (profile.toml, qdev.toml, templates/) kept
in git and released by semver tags (`v1.4.0`), which repos pin in `extends`. `check_profile`
catches a change that would break every repo before it is tagged: it validates profile.toml and
the base config, renders every kind with every CI provider and parses what should parse, then
makes a real repo of each kind (`qdev init`, with its environment) and runs `qdev check` in it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qdev.errors import QdevError, UsageError
from qdev.profile import source
from qdev.profile.source import Profile, ProfileError

PROFILE_README = """\
# {name}: the team's qdev profile

The standard every repo of the team gets: `qdev init` renders it into a new repo, `qdev sync`
merges its newer versions into existing ones, and `qdev sync --check` tells CI when a repo lags.

- `profile.toml`: the profile's name, its version (semver), template variables, the policy of
  each file (`managed`, `merged`, `once`, `ignored`) and migration notes shown by `qdev sync`.
- `qdev.toml`: the team's policy, the layer under every repo's own qdev.toml.
- `templates/common/`, `templates/<kind>/`, `templates/ci-<provider>/`: the files repos get;
  `.tmpl` files have `{{{{ placeholders }}}}` replaced.

## Changing it

```sh
qdev profile check          # renders every kind, runs qdev check in each: before every tag
git commit -am "..." && git tag v1.1.0 && git push --tags
```

Bump MAJOR for a change repos must act on (and add a `[[migrations]]` note), MINOR for new
files or settings, PATCH for fixes. Repos move with `qdev sync --ref v1.1.0`.

A repo uses it with, in its qdev.toml:

```toml
[extends]
git = "git@git.example.com:team/{name}.git"
ref = "v1.1.0"
```
"""


@dataclass(frozen=True)
class NewProfile:
    folder: Path
    name: str
    commit: str | None


def new_profile(folder: Path, name: str | None = None, *, git: bool = True) -> NewProfile:
    """A profile repository at `folder`, started from the built-in profile."""
    import tomlkit

    folder = folder.expanduser().absolute()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(
            f"{folder} exists and is not empty", fix="give qdev profile new a new or empty folder"
        )
    name = name or folder.name
    if not name.replace("-", "").replace("_", "").isalnum():
        raise UsageError(
            f'"{name}" is not a profile name: letters, digits, - and _ only', fix="use --name"
        )
    shutil.copytree(source.builtin_path(), folder, dirs_exist_ok=True)
    manifest = folder / source.PROFILE_FILE
    doc = tomlkit.parse(manifest.read_text(encoding="utf-8"))
    doc["name"] = name
    doc["version"] = "0.1.0"
    doc["description"] = f"The {name} team's standard Python repository."
    manifest.write_text(tomlkit.dumps(doc), encoding="utf-8")
    (folder / "README.md").write_text(PROFILE_README.format(name=name), encoding="utf-8")
    commit = None
    if git:
        from qdev.tools import git as git_tools

        git_tools.init(folder, branch="main")
        repo = git_tools.open_repo(folder)
        commit = git_tools.commit(
            repo, f"Start the {name} qdev profile from the built-in one", all_changes=True
        )
    return NewProfile(folder, name, commit)


@dataclass
class KindResult:
    kind: str
    ok: bool
    output: str = ""


@dataclass
class ProfileCheck:
    profile: Profile
    problems: list[str] = field(default_factory=list)
    """What makes the profile invalid: exit 2."""
    warnings: list[str] = field(default_factory=list)
    kinds: list[KindResult] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.problems:
            return 2
        return 1 if any(not k.ok for k in self.kinds) else 0


Progress = Callable[[str], None]


def check_profile(
    folder: Path,
    *,
    kinds: Sequence[str] | None = None,
    steps: Sequence[str] = (),
    run_checks: bool = True,
    progress: Progress | None = None,
) -> ProfileCheck:
    """Validate the profile at `folder`, render every kind, and run `qdev check` on each."""
    from qdev.config.models import Kind

    say = progress or (lambda _: None)
    profile = source.from_folder(folder)
    report = ProfileCheck(profile)
    report.problems += _config_problems(profile)
    all_kinds = [kind.value for kind in Kind]
    unknown = sorted(set(kinds or []) - set(all_kinds))
    if unknown:
        raise UsageError(f"unknown kind {unknown[0]}", fix=f"use one of: {', '.join(all_kinds)}")
    rendered_paths: set[str] = set()
    for kind in all_kinds:
        for provider in ("github", "gitlab"):
            say(f"rendering {kind} with {provider} CI")
            report.problems += _render_problems(profile, kind, provider, rendered_paths)
    report.problems = list(dict.fromkeys(report.problems))  # once, not once per kind
    report.warnings += _policy_warnings(profile, rendered_paths)
    report.warnings += [
        f"[[migrations]] note for {m.version}, newer than the profile's version {profile.version}"
        for m in profile.migrations
        if source.semver_key(m.version) > source.semver_key(profile.version)
    ]
    if report.problems or not run_checks:
        return report
    for kind in kinds or all_kinds:
        say(f"making a {kind} repo and running qdev check in it")
        report.kinds.append(_check_kind(profile, kind, steps))
    return report


def _config_problems(profile: Profile) -> list[str]:
    if not profile.config_file.is_file():
        return []
    from qdev.config.loader import validate_file

    try:
        validate_file(profile.config_file)
    except QdevError as exc:
        return [exc.render()]
    return []


def _render_problems(profile: Profile, kind: str, provider: str, seen: set[str]) -> list[str]:
    from qdev.profile.render import render_profile

    variables = _sample_variables(profile, kind, provider)
    errors: list[ProfileError] = []
    rendered = render_profile(profile, kind, provider, variables, errors=errors)
    problems = [error.render() for error in errors]
    for item in rendered:
        seen.add(item.path)
        problem = _parse_problem(item.path, item.content)
        if problem:
            problems.append(f"{kind}/{provider}: {item.path}: {problem}")
    return problems


def _sample_variables(profile: Profile, kind: str, provider: str) -> dict[str, str]:
    from qdev.project.settings import Settings, variables

    python = ("3.11", "3.12", "3.13")
    settings = Settings(
        Path("probe"), "probe", "probe", kind, python, provider, python, 80.0, profile, 'name = "x"'
    )
    return variables(settings)


def _parse_problem(path: str, content: bytes) -> str | None:
    from qdev.profile.merge3 import Unparseable, format_for

    fmt_type = format_for(path)
    if fmt_type is None:
        return None
    try:
        fmt_type().parse(content.decode("utf-8"))
    except (Unparseable, UnicodeDecodeError) as exc:
        return f"does not parse as {fmt_type.name}: {exc}"
    return None


def _policy_warnings(profile: Profile, rendered: set[str]) -> list[str]:
    from qdev.check._globs import matches

    return [
        f'[files] "{pattern}" matches no file the profile renders'
        for pattern, _ in profile.policies
        if not any(matches(path, pattern) for path in rendered)
    ]


def _check_kind(profile: Profile, kind: str, steps: Sequence[str]) -> KindResult:
    from qdev.project.init import init_project
    from qdev.project.settings import InitOptions
    from qdev.tools import process

    scratch = Path(tempfile.mkdtemp(prefix=f"qdev-profile-{kind}-"))
    try:
        repo = scratch / f"probe-{kind}"
        try:
            init_project(InitOptions(repo, kind=kind, profile=profile.root))
        except QdevError as exc:
            return KindResult(kind, False, f"qdev init failed: {exc.render()}")
        ran = process.run(
            [sys.executable, "-m", "qdev", "check", *steps],
            cwd=repo,
            env=process.child_env({"NO_COLOR": "1"}, drop=("VIRTUAL_ENV",)),
            timeout=1800,
        )
        return KindResult(kind, ran.ok, ran.output)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
