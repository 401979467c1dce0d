"""Which `qdev` the shell, the git hook and CI find first on PATH, and whether it is this one."""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from qdev import __version__
from qdev.doctor.context import DoctorContext
from qdev.doctor.model import Diagnosis, Verdict, ok, problem, register
from qdev.tools import process

# pip and uv write `#!/bin/sh` plus this line when the interpreter's path is too long or odd.
SH_TRAMPOLINE = re.compile(r"""^'''exec' "?([^"\s]+)"?""")


@dataclass(frozen=True)
class PathQdev:
    path: str | None
    """The first `qdev` on PATH, None when there is none."""
    interpreter: str | None
    """The Python its script starts, when the script names one."""
    same: bool | None
    """Whether it is the qdev running now; None when its file cannot tell."""
    version: str | None
    """What it says with --version, when it was asked."""


def running_bin() -> Path:
    """The folder of this qdev's interpreter: its console script lives beside it."""
    return Path(os.path.abspath(sys.executable)).parent


def script_interpreter(script: Path) -> str | None:
    try:
        with script.open("rb") as handle:
            lines = handle.read(2048).decode("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    if not lines or not lines[0].startswith("#!"):
        return None
    command = lines[0][2:].split()
    if command and Path(command[0]).name.startswith("python"):
        return command[0]
    if command and command[0].endswith("sh") and len(lines) > 1:
        match = SH_TRAMPOLINE.match(lines[1])
        return match.group(1) if match else None
    return None  # `#!/usr/bin/env python3`, a pyenv shim: the file does not say which


def asked_version(path: str) -> str | None:
    result = process.run([path, "--version"], timeout=15)
    return result.stdout.strip().removeprefix("qdev ").strip() or None if result.ok else None


def first_on_path() -> PathQdev:
    found = shutil.which("qdev")
    if found is None:
        return PathQdev(None, None, None, None)
    interpreter = script_interpreter(Path(found).resolve())
    if interpreter is None:
        version = asked_version(found)
        return PathQdev(found, None, None, version)
    same = Path(os.path.abspath(interpreter)).parent == running_bin()
    return PathQdev(found, interpreter, same, None if same else asked_version(found))


def path_qdev(ctx: DoctorContext) -> PathQdev:
    return ctx.remember("path-qdev", first_on_path)


def install_fix(ctx: DoctorContext) -> str:
    """How to put this qdev first on PATH: the team's install command when the profile has it."""
    from qdev.ci.install import install_source

    source = install_source(ctx.profile.variables) if ctx.profile is not None else None
    here = f'export PATH="{running_bin()}:$PATH"'
    return f"{source.command()}   (or {here})" if source else here


def other_qdev(found: PathQdev) -> str:
    version = f"qdev {found.version}" if found.version else "unknown version"
    started = f", run by {found.interpreter}" if found.interpreter else ""
    return f"{found.path} ({version}{started})"


@register
class QdevOnPath(Diagnosis):
    id = "qdev-path"
    rank = 30
    title = "the qdev first on PATH is this one"
    why = (
        "Your shell, the git hook and CI run the first `qdev` on PATH; another install there "
        "checks with other rules and versions than the qdev you are running."
    )

    def diagnose(self, ctx: DoctorContext) -> Verdict:
        found = path_qdev(ctx)
        running = f"qdev {__version__} ({sys.executable})"
        if found.path is None:
            return problem(f"no qdev on PATH; the one running is {running}", install_fix(ctx))
        if found.same is False or (found.same is None and found.version != __version__):
            return problem(
                f"the first qdev on PATH is {other_qdev(found)}, not the one running: {running}",
                install_fix(ctx) + "   (or uninstall the other one)",
            )
        if found.same is None:
            return ok(f"{found.path} says qdev {found.version}, the version running now")
        return ok(f"{found.path} is this qdev: {running}")
