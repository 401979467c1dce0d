"""Adopting an existing repo: the profile's files fitted to what the repo already is.

A new repo gets the profile's files as they are. An existing one keeps what works: no demo code,
nothing added to or changed under [build-system], [project] or [tool.poetry], each tool's
settings written where that tool reads them (or left, with a note, when it reads another file),
the dev tools added to the repo's own dev group, typecheck and coverage pointed at the real
packages, generated files excluded, and the Python versions, default branch and tag format taken
from the repo (`qdev.project.facts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import tomlkit
from tomlkit.items import Array, Table

from qdev.errors import UsageError
from qdev.profile.apply import Exact
from qdev.profile.merge import merge_toml
from qdev.profile.render import RenderedFile
from qdev.project import requires_python
from qdev.project.existing import USER_CODE, ExistingRepo
from qdev.project.facts import RepoFacts

SAMPLE_CODE = (*USER_CODE, "notebooks/", "data/")
"""What the profile writes as a sample for a new repo: never written into an existing one."""

ADOPTED_TOOLS = ("ruff", "mypy", "pytest", "coverage")
MIGRATIONS = {
    "poetry": "a Poetry project ([tool.poetry] and no [project] table)",
    "pipenv": "a Pipenv project (Pipfile and no [project] table)",
    "setup.py": "a setup.py/setup.cfg project (no [project] table in pyproject.toml)",
}


@dataclass
class Adoption:
    """The adopted files, which of them are final (not to be merged again), and what to say."""

    files: list[RenderedFile]
    exact: dict[str, Exact] = field(default_factory=dict)
    """Path -> what changes and the profile's own rendering: the content is the whole file."""
    notes: list[str] = field(default_factory=list)


def is_adoption(facts: RepoFacts | None, existing: ExistingRepo) -> bool:
    """An existing project that qdev did not make: its own code is there, qdev's sample is not."""
    if facts is None or not facts.existing:
        return False
    return not any(path.startswith(USER_CODE) for path in existing.rendered_before)


def refuse_migration(facts: RepoFacts, *, allowed: bool = False) -> None:
    """uv cannot run this project as it stands: say which migration it needs, and how.

    With `allowed` (--migrate), only what no maintained converter handles is refused.
    """
    if facts.migration is None or (allowed and facts.migration != "setup.py"):
        return
    what = MIGRATIONS[facts.migration]
    if facts.migration == "setup.py":
        fix = (
            "give pyproject.toml a [project] table (name, dynamic fields for what setup.py "
            "computes) with a [build-system] of setuptools, then run qdev init again; "
            "no maintained converter does this for setup.py yet, so qdev does not guess"
        )
    else:
        fix = (
            f"qdev init --migrate converts it with migrate-to-uv (the {facts.migration} "
            "metadata becomes [project]; the wheel is built before and after to prove it)"
        )
    raise UsageError(f"{facts.root}: uv cannot run {what} as it stands", fix=fix)


def adopt_files(
    rendered: Sequence[RenderedFile],
    facts: RepoFacts,
    existing: ExistingRepo,
    current: dict[str, str],
    *,
    raw: dict[str, bytes],
    force: bool = False,
) -> Adoption:
    """The profile's rendered files, fitted to the repo; `current` holds its files' text.

    `raw` is the profile's own rendering of each file as a new repo would get it, recorded in
    the state as `qdev sync`'s base, so that sync brings the profile's later changes and
    never the new-repo values the adoption left out (a [project] version, [build-system]).
    """
    files = {item.path: item for item in rendered if not item.path.startswith(SAMPLE_CODE)}
    adoption = Adoption([])
    config = files.pop("qdev.toml", None)
    template = files.pop("pyproject.toml", None)
    config_text = _adopted_config(config.content.decode() if config else "", facts)
    if template is not None and "pyproject.toml" in current:
        in_pyproject = config_text if existing.in_pyproject else None
        text, detail, notes = adopt_pyproject(
            current["pyproject.toml"], template.content.decode(), facts, in_pyproject, force=force
        )
        files["pyproject.toml"] = RenderedFile("pyproject.toml", text.encode())
        adoption.exact["pyproject.toml"] = Exact(detail, raw["pyproject.toml"])
        adoption.notes += notes
    if not existing.in_pyproject and config is not None:
        files["qdev.toml"] = RenderedFile("qdev.toml", config_text.encode())
        adoption.exact["qdev.toml"] = Exact("", config.content)
    if ".gitignore" in files and ".gitignore" in current:
        text, detail = _adopted_gitignore(current[".gitignore"], files[".gitignore"].content)
        files[".gitignore"] = RenderedFile(".gitignore", text.encode())
        adoption.exact[".gitignore"] = Exact(detail, raw[".gitignore"])
    ruff_file = facts.tool_configs.get("ruff")
    if ruff_file in ("ruff.toml", ".ruff.toml") and facts.generated and ruff_file in current:
        exclusions = tomlkit.document()
        exclusions["extend-exclude"] = list(facts.generated)
        merged = merge_toml(current[ruff_file], tomlkit.dumps(exclusions), where=ruff_file)
        files[ruff_file] = RenderedFile(ruff_file, merged.text.encode())
        detail = "excludes the generated files" if merged.changed else ""
        adoption.exact[ruff_file] = Exact(detail, None)
    adoption.notes += [
        f"{path} is hidden by {rule}: commit it with `git add -f` or drop that line"
        for path, rule in sorted(facts.ignored.items())
    ]
    adoption.files = [files[path] for path in sorted(files)]
    return adoption


def adopt_pyproject(
    old: str,
    template: str,
    facts: RepoFacts,
    qdev_config: str | None = None,
    *,
    force: bool = False,
) -> tuple[str, str, list[str]]:
    """The repo's pyproject.toml with the team's dev tools and tool settings added.

    Returns (new text, what changed, notes). [build-system], [project] and [tool.poetry] are
    never touched; a tool whose config lives in another file gets nothing here.
    """
    doc = tomlkit.parse(old)
    team = tomlkit.parse(template)
    notes: list[str] = []
    added_tools = _add_dev_tools(doc, facts, team)
    wanted = tomlkit.document()
    tool_table = tomlkit.table(is_super_table=True)
    for name in ADOPTED_TOOLS:
        where = facts.tool_configs.get(name)
        if where not in (None, "pyproject.toml"):
            notes.append(
                f"{name} reads {where}: the team's {name} settings were not written to "
                "pyproject.toml, where it would not see them"
            )
            continue
        section = _tool_section(name, team, facts)
        if section:
            tool_table[name] = section
    if qdev_config is not None:
        tool_table["qdev"] = tomlkit.parse(qdev_config)
    if tool_table:
        wanted["tool"] = tool_table
    merged = merge_toml(
        tomlkit.dumps(doc), tomlkit.dumps(wanted), force=force, where="pyproject.toml"
    )
    parts = []
    if added_tools:
        parts.append(f"adds {', '.join(added_tools)} to the {facts.dev_group or 'dev'} group")
    if merged.added:
        parts.append(f"adds {', '.join(merged.added)}")
    if merged.differing:
        verb = "replaces" if force else "keeps your"
        parts.append(f"{verb} {', '.join(merged.differing)}")
    return merged.text, "; ".join(parts), notes


def _dev_tools(team: tomlkit.TOMLDocument) -> list[str]:
    groups = team.get("dependency-groups", {})
    dev = groups.get("dev", []) if isinstance(groups, dict) else []
    return [str(item) for item in dev if isinstance(item, str)]


def _add_dev_tools(
    doc: tomlkit.TOMLDocument, facts: RepoFacts, team: tomlkit.TOMLDocument
) -> list[str]:
    """Append the team's dev tools the repo's dev group lacks; return their names.

    A repo with no dev group gets the team's, as the profile writes it (comment and layout),
    so that `qdev sync` later sees the profile's own list.
    """
    tools = _dev_tools(team)
    if facts.dev_group == "tool.uv.dev-dependencies":
        target = doc["tool"]["uv"]["dev-dependencies"]
        groups: dict[str, Any] = {}
    else:
        groups_table = doc.get("dependency-groups")
        if groups_table is None:
            team_groups = team.get("dependency-groups")
            groups_table = tomlkit.table()
            doc["dependency-groups"] = groups_table
            if isinstance(team_groups, Table) and "dev" in team_groups:
                groups_table["dev"] = team_groups["dev"]
                return [name for name in map(_name, tools) if name]
        if "dev" not in groups_table:
            fresh = tomlkit.array()
            fresh.multiline(True)
            groups_table["dev"] = fresh
        target = groups_table["dev"]
        groups = groups_table.unwrap()
    present = _names(target, groups)
    added = []
    for requirement in tools:
        name = _name(requirement)
        if name and name not in present:
            target.append(requirement)
            present.add(name)
            added.append(name)
    if isinstance(target, Array) and added and len(target) > 1:
        target.multiline(True)
    return added


def _names(
    items: Iterable[Any], groups: dict[str, Any], seen: frozenset[str] = frozenset()
) -> set[str]:
    """Normalised names in a dependency group, following {include-group = ...}."""
    found: set[str] = set()
    for item in items:
        if isinstance(item, str):
            name = _name(item)
            if name:
                found.add(name)
        elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
            group = item["include-group"]
            if group not in seen and isinstance(groups.get(group), list):
                found |= _names(groups[group], groups, seen | {group})
    return found


def _name(requirement: str) -> str | None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return None


def _tool_section(name: str, team: tomlkit.TOMLDocument, facts: RepoFacts) -> Table | None:
    """The team's settings of one tool, fitted to the repo."""
    tool = team.get("tool", {})
    section = tool.get(name) if isinstance(tool, dict) else None
    if not isinstance(section, Table):
        return None
    fitted = tomlkit.parse(tomlkit.dumps({name: section.unwrap()}))[name]
    assert isinstance(fitted, Table)
    fit = {"ruff": _fit_ruff, "mypy": _fit_mypy, "pytest": _fit_pytest, "coverage": _fit_coverage}
    return fit[name](fitted, facts)


def _fit_ruff(section: Table, facts: RepoFacts) -> Table | None:
    section.pop("src", None)  # ruff's own default (".", "src") finds both layouts
    if facts.requires_python and requires_python.specifier(facts.requires_python):
        section.pop("target-version", None)  # ruff reads requires-python itself
    black = facts.tool_configs.get("black") == "pyproject.toml"
    if black:
        section["line-length"] = _black_line_length(facts)
    if facts.generated:
        section["extend-exclude"] = list(facts.generated)
    return section


def _black_line_length(facts: RepoFacts) -> int:
    from qdev.project.facts import read_pyproject

    data = read_pyproject(facts.root / "pyproject.toml") or {}
    value = data.get("tool", {}).get("black", {}).get("line-length", 88)
    return value if isinstance(value, int) else 88


def _fit_mypy(section: Table, facts: RepoFacts) -> Table | None:
    section.pop("python_version", None)  # the environment's interpreter
    section.pop("files", None)
    if facts.package_paths:
        from qdev.project.facts import Sources

        section["files"] = Sources(
            facts.packages, facts.package_paths, facts.test_paths
        ).checked_paths
    if facts.layout == "src":
        section["mypy_path"] = "src"
    else:
        section.pop("mypy_path", None)
    if facts.generated:
        section["exclude"] = [_regex(path) for path in facts.generated]
    return section


def _fit_pytest(section: Table, facts: RepoFacts) -> Table | None:
    if not facts.test_paths:
        return None
    # Only where the tests are: strict markers or xfail_strict would change how the
    # repo's own tests pass.
    options = tomlkit.table()
    options["testpaths"] = list(facts.test_paths)
    fitted = tomlkit.table()
    fitted["ini_options"] = options
    return fitted


def _fit_coverage(section: Table, facts: RepoFacts) -> Table | None:
    if not facts.packages:
        return None
    run = section.get("run")
    if isinstance(run, dict):
        run["source"] = list(facts.packages)
        if facts.generated:
            run["omit"] = [f"*/{path}" for path in facts.generated]
    return section


def _regex(path: str) -> str:
    import re

    return "^" + re.escape(path) + "$"


def _adopted_config(text: str, facts: RepoFacts) -> str:
    """The profile's qdev.toml with the repo's release branch, tag format and exclusions."""
    doc = tomlkit.parse(text)
    release = doc.get("release")
    if release is None:
        release = tomlkit.table()
        doc["release"] = release
    if facts.default_branch:
        release["branch"] = facts.default_branch
    if facts.tag_format:
        release["tag_format"] = facts.tag_format
    if facts.test_extra:
        # The repo's tests need its test extra: every `qdev env` (and CI's) installs it.
        env = tomlkit.table()
        env["uv_args"] = ["--extra", facts.test_extra]
        doc["env"] = env
    if facts.generated:
        check = doc.setdefault("check", tomlkit.table(is_super_table=True))
        secrets = tomlkit.table()
        secrets["allowlist"] = list(facts.generated)
        check["secrets"] = secrets
    return tomlkit.dumps(doc)


def _adopted_gitignore(old: str, template: bytes) -> tuple[str, str]:
    """The repo's .gitignore with the lines qdev needs that it lacks, appended as one block."""
    have = {line.strip() for line in old.splitlines()}
    wanted = [
        line
        for line in template.decode().splitlines()
        if line.strip() and not line.startswith("#") and line.strip() not in have
    ]
    if not wanted:
        return old, ""
    block = "\n# qdev: the environment and tool caches\n" + "\n".join(wanted) + "\n"
    return old.rstrip("\n") + "\n" + block if old else block.lstrip("\n"), (
        f"adds {len(wanted)} line{'s' * (len(wanted) != 1)}"
    )
