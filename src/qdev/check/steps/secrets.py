"""`secrets`: detect-secrets over every tracked file, less the config's allowlist.

New files that git does not ignore are scanned too: they are one `git add` away from a commit,
and in a repo with nothing added yet a scan of tracked files alone would pass having read nothing.

An allowlist entry is either a path glob or the hash detect-secrets prints for a secret
(`hashed_secret`), for a value that looks like a credential but is not one.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from qdev.check import _globs
from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps._base import Step, StepContext, register
from qdev.check.steps._util import judged, tool_error

SECRET_HASH = re.compile(r"^[0-9a-f]{40}$")
STATE_FILE = ".qdev/state.toml"
STATE_COMMIT = re.compile(r'^commit = "[0-9a-f]{40}"$')
"""qdev's own record of the git profile's commit: a hex string detect-secrets takes for a key."""


def _detect_secrets_hash(secret: str) -> str:
    """The hash detect-secrets reports for `secret`: an allowlisted hash written in the config
    looks like a high-entropy secret itself, and must not be reported."""
    return hashlib.sha1(secret.encode("utf-8")).hexdigest()


@register
class Secrets(Step):
    id = "secrets"
    description = "detect-secrets: no credentials in tracked files"
    tools = ("detect-secrets",)
    packages = ("detect-secrets",)

    def allowlist(self, ctx: StepContext) -> tuple[list[str], set[str]]:
        entries = ctx.config.check.secrets.allowlist
        hashes = {entry for entry in entries if SECRET_HASH.match(entry)}
        return [entry for entry in entries if entry not in hashes], hashes

    def reads(self, ctx: StepContext) -> list[str]:
        globs, _ = self.allowlist(ctx)
        allowed = set(_globs.select(ctx.files, globs))
        return [path for path in ctx.files if path not in allowed]

    def execute(self, ctx: StepContext) -> Outcome:
        files = ctx.existing(self.reads(ctx))
        if not files:
            return Outcome(Status.PASSED, "no files to scan")
        argv = [ctx.tool("detect-secrets"), "scan", *self.options(ctx).args, *files]
        result = ctx.run(argv, timeout=self.timeout(ctx))
        try:
            report: dict[str, Any] = json.loads(result.stdout)
        except json.JSONDecodeError:
            return tool_error(argv[:2], result.returncode, result.output)
        _, hashes = self.allowlist(ctx)
        hashes |= {_detect_secrets_hash(entry) for entry in hashes}  # the allowlist itself
        commit_lines = _state_commit_lines(ctx)
        findings = [
            Finding(
                "possible credential (if it is not one, add its hash "
                f"{item.get('hashed_secret')} to check.secrets.allowlist)",
                str(path),
                item.get("line_number"),
                code=str(item.get("type", "secret")),
            )
            for path, items in sorted(report.get("results", {}).items())
            for item in items
            if item.get("hashed_secret") not in hashes
            and (str(path), item.get("line_number")) not in commit_lines
        ]
        output = "\n".join(finding.render() for finding in findings)
        return judged(
            not findings,
            findings,
            output,
            argv[:2],
            passed=f"{len(files)} files clean",
            failed="{n} possible secret{s}",
        )


def _state_commit_lines(ctx: StepContext) -> set[tuple[str, int]]:
    """Where `.qdev/state.toml` records the profile's commit id (it is not a credential)."""
    try:
        lines = (ctx.root / STATE_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    return {(STATE_FILE, n) for n, line in enumerate(lines, start=1) if STATE_COMMIT.match(line)}
