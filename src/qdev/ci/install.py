"""Where CI gets qdev: a pinned requirement and an index, set in the team profile.

qdev is not on the public index, so a pipeline can only install it from the team's own index.
The profile says which (its `[variables]`): `qdev_requirement` ("qdev==1.4.2") and
`qdev_index` (the index URL). Until both are set, no pipeline is written: a step that cannot
work would only fail on the first push.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qdev.profile.source import Profile

REQUIREMENT_VAR = "qdev_requirement"
INDEX_VAR = "qdev_index"
UV_VERSION_VAR = "uv_version"
UV_VERSION = "0.13.9"
"""The uv CI installs when the profile pins none: the version qdev itself is tested with."""

VARIABLE_DEFAULTS = {REQUIREMENT_VAR: "", INDEX_VAR: "", UV_VERSION_VAR: UV_VERSION}
"""What the CI templates' placeholders are when the profile leaves them unset."""
INDEX_NAME = "qdev"
"""The name CI gives the index: uv reads its credentials from UV_INDEX_QDEV_USERNAME/_PASSWORD."""

EXAMPLE = (
    f'{REQUIREMENT_VAR} = "qdev==X.Y.Z"\n{INDEX_VAR} = "https://pypi.example.internal/simple/"'
)


@dataclass(frozen=True)
class InstallSource:
    requirement: str
    index: str

    def command(self) -> str:
        """The shell command that installs this qdev as a uv tool."""
        return (
            f"uv tool install --index {shlex.quote(f'{INDEX_NAME}={self.index}')} "
            f"{shlex.quote(self.requirement)}"
        )


def install_source(variables: Mapping[str, str]) -> InstallSource | None:
    """The profile's qdev requirement and index, or None unless both are set."""
    requirement = variables.get(REQUIREMENT_VAR, "").strip()
    index = variables.get(INDEX_VAR, "").strip()
    if not requirement or not index:
        return None
    return InstallSource(requirement, index)


def missing_source_message(profile: Profile) -> tuple[str, str]:
    """What to say when the profile leaves the source unset: (the message, the fix)."""
    example = "; ".join(EXAMPLE.splitlines())
    if profile.builtin:
        return (
            "no CI pipeline written: the built-in profile cannot know where your team installs "
            "qdev from (qdev is not on PyPI)",
            f"use a team profile whose profile.toml sets, under [variables], {example}; then "
            "run `qdev ci` (docs: guides/ci.md and guides/team-profile.md)",
        )
    return (
        f"no CI pipeline written: profile {profile.name} does not say where CI installs qdev "
        "from (qdev is not on PyPI)",
        f"set, under [variables] in {profile.root / 'profile.toml'}: {example}; then run `qdev ci`",
    )
