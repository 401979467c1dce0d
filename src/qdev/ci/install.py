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

REQUIREMENT_VAR = "qdev_requirement"
INDEX_VAR = "qdev_index"
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


def missing_source_message(profile_file: str) -> tuple[str, str]:
    """What to say when the profile leaves the source unset: (the message, the fix)."""
    message = (
        "the team profile does not say where CI installs qdev from (qdev is not on PyPI), "
        "so no CI pipeline was written"
    )
    fix = (
        f"set, under [variables] in {profile_file}:\n"
        + "\n".join(f"    {line}" for line in EXAMPLE.splitlines())
        + "\n  then run `qdev ci` (a repo on the built-in profile needs a team profile first: "
        "see docs/guides/team-profile.md)"
    )
    return message, fix
