"""Rendering a profile's templates into the files of one repo.

Templates are plain files; those whose name ends in `.tmpl` get `{{ name }}` placeholders
replaced (in their path too). Nothing else is evaluated: no expressions, no conditionals, so a
profile cannot run code. An unknown placeholder is an error naming the file. GitHub's
`${{ matrix.python }}` is left alone because a dotted name is not a placeholder.

Layers, later ones replacing earlier files of the same path: `common/`, the kind's folder,
`ci-<provider>/`. Paths the profile's [files] table marks `ignored` are never rendered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from qdev.profile.source import Policy, Profile, ProfileError
from qdev.profile.state import RenderInputs

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
TEMPLATE_SUFFIX = ".tmpl"


@dataclass(frozen=True)
class RenderedFile:
    path: str
    """Relative to the repo root, with forward slashes."""
    content: bytes


def layers(kind: str, ci_provider: str) -> list[str]:
    return ["common", kind, f"ci-{ci_provider}"]


def render_text(text: str, variables: Mapping[str, str], *, where: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            known = ", ".join(sorted(variables))
            raise ProfileError(
                f"{where}: unknown placeholder {{{{ {name} }}}}", fix=f"use one of: {known}"
            )
        return variables[name]

    return PLACEHOLDER.sub(substitute, text)


def render_profile(
    profile: Profile,
    kind: str,
    ci_provider: str,
    variables: Mapping[str, str],
    *,
    errors: list[ProfileError] | None = None,
) -> list[RenderedFile]:
    """Every file the profile gives a repo of `kind`, sorted by path.

    With `errors`, a file that cannot be rendered is left out and its error collected there
    (`qdev profile check` reports them all) instead of raised.
    """
    files: dict[str, RenderedFile] = {}
    for layer in layers(kind, ci_provider):
        folder = profile.templates / layer
        if not folder.is_dir():
            continue
        for source in sorted(p for p in folder.rglob("*") if p.is_file()):
            try:
                rendered = _render_file(source, folder, variables)
            except ProfileError as exc:
                if errors is None:
                    raise
                errors.append(exc)
                continue
            files[rendered.path] = rendered
    return [files[path] for path in sorted(files) if profile.policy(path) != Policy.IGNORED]


def render_inputs(profile: Profile, inputs: RenderInputs) -> dict[str, bytes]:
    """{path: content} of the profile rendered with recorded inputs (a repo's state), less a
    CI pipeline that could not install qdev (see qdev.ci.pipeline.unready_paths)."""
    from qdev.ci.pipeline import unready_paths

    rendered = render_profile(profile, inputs.kind, inputs.ci_provider, inputs.variables)
    unready = unready_paths(profile, inputs.ci_provider, inputs.variables)
    return {item.path: item.content for item in rendered if item.path not in unready}


def _render_file(source: Path, folder: Path, variables: Mapping[str, str]) -> RenderedFile:
    relative = source.relative_to(folder).as_posix()
    if not relative.endswith(TEMPLATE_SUFFIX):
        return RenderedFile(relative, source.read_bytes())
    where = str(source)
    target = render_text(relative.removesuffix(TEMPLATE_SUFFIX), variables, where=where)
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{where}: a .tmpl file must be UTF-8 text") from exc
    return RenderedFile(target, render_text(text, variables, where=where).encode("utf-8"))
