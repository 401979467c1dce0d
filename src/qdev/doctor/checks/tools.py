"""The machine's tools: git and uv, against the minimum versions in the profile's [requires]."""

from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

from qdev.doctor.context import DoctorContext
from qdev.doctor.model import Diagnosis, Verdict, ok, problem, register
from qdev.errors import ToolMissing
from qdev.tools import process

VERSION = re.compile(r"\b(\d+\.\d+(?:\.\d+)?)")
UV_UPGRADE = 'python3 -m pip install --user --upgrade "uv>={minimum}"'
GIT_UPGRADE = "apt-get install git   (or your platform's package manager; a newer git: {minimum}+)"


def tool_version(path: str) -> str | None:
    result = process.run([path, "--version"], timeout=10)
    match = VERSION.search(result.stdout) if result.ok else None
    return match.group(1) if match else None


def older_than(found: str, minimum: str) -> bool:
    try:
        return Version(found) < Version(minimum)
    except InvalidVersion:
        return False


def against_minimum(tool: str, path: str, minimum: str | None, upgrade: str) -> Verdict:
    found = tool_version(path)
    if found is None:
        return problem(
            f"{path} --version does not say which {tool} it is",
            upgrade.format(minimum=minimum or "a recent version"),
        )
    if minimum and older_than(found, minimum):
        return problem(
            f"{tool} {found} ({path}) is older than the profile's minimum {minimum}",
            upgrade.format(minimum=minimum),
        )
    floor = f", profile minimum {minimum}" if minimum else ""
    return ok(f"{tool} {found} at {path}{floor}")


@register
class Git(Diagnosis):
    id = "git"
    rank = 10
    title = "git installed, at least the profile's minimum"
    why = (
        "qdev reads history and tags, installs the hook and releases through git; an older git "
        "than the profile's minimum lacks options qdev relies on."
    )

    def diagnose(self, ctx: DoctorContext) -> Verdict:
        try:
            path = process.which("git")
        except ToolMissing:
            return problem("git is not installed or not on PATH", process.INSTALL_HINTS["git"])
        return against_minimum("git", path, ctx.minimum("git"), GIT_UPGRADE)


@register
class Uv(Diagnosis):
    id = "uv"
    rank = 20
    title = "uv installed, at least the profile's minimum"
    why = (
        "uv makes every environment from uv.lock, finds the Pythons and builds releases; "
        "an older uv than the profile's minimum may not read the lock the team writes."
    )

    def diagnose(self, ctx: DoctorContext) -> Verdict:
        from qdev.environment import uv_binary

        return against_minimum("uv", uv_binary(), ctx.minimum("uv"), UV_UPGRADE)
