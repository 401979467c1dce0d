"""`qdev init`: a new repo of a kind from the team profile, or an existing repo adopted.

The run is a pipeline: settle the settings (flags, the repo's own config, prompts, the
profile's defaults), render the profile, plan what changes on disk, then (unless dry-run)
write it all or nothing, `git init`, bootstrap the environment and optionally commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qdev.ci.pipeline import without_unready_pipeline
from qdev.errors import QdevError, UsageError
from qdev.profile.apply import Action, Plan, apply_plan, check_writable, plan_files
from qdev.profile.render import RenderedFile, render_profile
from qdev.profile.state import RenderInputs
from qdev.project.existing import read_existing
from qdev.project.settings import Ask, InitOptions, Settings, resolve_settings, variables

__all__ = ["InitOptions", "InitResult", "init_project"]


@dataclass
class InitResult:
    settings: Settings
    plan: Plan
    notes: list[str] = field(default_factory=list)
    commit: str | None = None


def init_project(options: InitOptions, ask: Ask | None = None) -> InitResult:
    root = _target(options.path)
    existing = read_existing(root)
    settings = resolve_settings(options, root, existing, ask)
    inputs = RenderInputs(settings.kind, settings.ci_provider, variables(settings))
    rendered = render_profile(settings.profile, inputs.kind, inputs.ci_provider, inputs.variables)
    rendered, ci_note = without_unready_pipeline(rendered, settings, inputs.variables)
    if existing.in_pyproject:
        rendered = config_into_pyproject(rendered)
    rendered = [item for item in rendered if existing.owns(item.path)]
    if existing.unpackaged:
        rendered = without_build_system(rendered)
    plan = plan_files(root, rendered, settings.profile, force=options.force, inputs=inputs)
    result = InitResult(settings, plan, [ci_note] if ci_note else [])
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
        kernel = f"; Jupyter kernel: {report.kernel}" if report.kernel else ""
        result.notes.append(
            f"environment: Python {report.python} in {root / '.venv'}; git hook: {report.hook}"
            + kernel
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
