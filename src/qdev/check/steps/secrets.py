"""`secrets`: detect-secrets over every tracked file, less the config's allowlist, and every
value set in a credential file (`.env`, `.netrc`, ... see `_credentials`), however short.

A file that is not UTF-8 text cannot be read by the scanner: it is named as not scanned,
never counted as clean.

New files that git does not ignore are scanned too: they are one `git add` away from a commit,
and in a repo with nothing added yet a scan of tracked files alone would pass having read nothing.

An allowlist entry is either a path glob or the hash detect-secrets prints for a secret
(`hashed_secret`), for a value that looks like a credential but is not one.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from qdev.check import _globs
from qdev.check.baseline import Lines
from qdev.check.model import Finding, Outcome, Status
from qdev.check.steps._base import Step, StepContext, register
from qdev.check.steps._credentials import credentials, is_credential_file
from qdev.check.steps._util import judged, tool_error

SECRET_HASH = re.compile(r"^[0-9a-f]{40}$")
# detect-secrets skips files by extension (.css, .svg, .lock, ...) though it was given them;
# qdev gives it only UTF-8 text, so every file counted as clean was really read.
TYPE_FILTER = "detect_secrets.filters.heuristic.is_non_text_file"
# qdev's own records, full of hashes that look random: never credentials.
QDEV_RECORDS = frozenset({".qdev/baseline.json", ".qdev/state.toml"})
# A notebook's image output, one line as Jupyter writes it: `"image/png": "iVBORw0KG...",`.
NOTEBOOK_IMAGE = re.compile(r'^"(?:image/[\w.+-]+|application/pdf)": "')


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
    baselined = True

    def allowlist(self, ctx: StepContext) -> tuple[list[str], set[str]]:
        entries = ctx.config.check.secrets.allowlist
        hashes = {entry for entry in entries if SECRET_HASH.match(entry)}
        return [entry for entry in entries if entry not in hashes], hashes

    def reads(self, ctx: StepContext) -> list[str]:
        """The files to scan: the repo's own (or the run's narrowed list), less the allowlist's
        paths, which stay excluded even when the git hook names them."""
        globs, _ = self.allowlist(ctx)
        candidates = ctx.files if ctx.changed is None else ctx.changed
        allowed = set(_globs.select(candidates, globs)) | QDEV_RECORDS
        return [path for path in candidates if path not in allowed]

    def execute(self, ctx: StepContext) -> Outcome:
        files = [path for path in self.reads(ctx) if (ctx.root / path).is_file()]  # no submodules
        if not files:
            return Outcome(Status.PASSED, "no files to scan")
        readable, unreadable = _by_encoding(ctx, files)
        _, hashes = self.allowlist(ctx)
        hashes |= {_detect_secrets_hash(entry) for entry in hashes}  # the allowlist itself
        argv = [ctx.tool("detect-secrets"), "scan", "--disable-filter", TYPE_FILTER]
        found: dict[tuple[str, int | None], Finding] = {}
        output = ""
        if readable:
            result = ctx.run([*argv, *self.options(ctx).args, *readable], timeout=self.timeout(ctx))
            try:
                report: dict[str, Any] = json.loads(result.stdout)
            except json.JSONDecodeError:
                return tool_error(argv[:2], result)
            found = _scanned(report, hashes, Lines(ctx.root))
        for finding in _in_credential_files(ctx, files, hashes):
            found[(str(finding.path), finding.line)] = finding  # the clearer of two at a line
        findings = sorted(found.values(), key=lambda f: (str(f.path), f.line or 0))
        output = "\n".join(
            [
                *(f.render() for f in findings),
                *(f"{path}: not scanned (not UTF-8)" for path in unreadable),
            ]
        )
        passed = f"{len(readable)} file{'s' if len(readable) != 1 else ''} clean"
        if unreadable:
            passed += f"; not scanned, not UTF-8: {_names(unreadable)}"
        return judged(
            not findings, findings, output, argv[:2], passed=passed, failed="{n} possible secret{s}"
        )


def _scanned(
    report: dict[str, Any], hashes: set[str], lines: Lines
) -> dict[tuple[str, int | None], Finding]:
    """detect-secrets' findings by place, less the allowlisted ones and a notebook's image
    outputs (base64 data that looks random, never a credential; text outputs are scanned).

    Several detectors can flag one line (a URL with a password is both "Basic Auth" and
    "Secret Keyword"): the place is reported once with every hash, so that allowlisting what
    it names clears the line instead of revealing the next detector's finding."""
    by_place: dict[tuple[str, int | None], dict[str, str]] = {}
    for path, items in sorted(report.get("results", {}).items()):
        for item in items:
            digest = str(item.get("hashed_secret"))
            if digest in hashes:
                continue
            line = item.get("line_number")
            if path.endswith(".ipynb") and NOTEBOOK_IMAGE.match(lines.text(path, line)):
                continue
            kinds = by_place.setdefault((str(path), line), {})
            kinds.setdefault(digest, str(item.get("type", "secret")))
    return {place: _finding(place, kinds) for place, kinds in by_place.items()}


def _finding(place: tuple[str, int | None], kinds: dict[str, str]) -> Finding:
    digests = sorted(kinds, key=lambda digest: (kinds[digest], digest))
    named = f"its hash {digests[0]}" if len(digests) == 1 else "its hashes " + ", ".join(digests)
    return Finding(
        f"possible credential (if it is not one, add {named} to check.secrets.allowlist)",
        place[0],
        place[1],
        code=", ".join(sorted(set(kinds.values()))),
    )


def _in_credential_files(ctx: StepContext, files: list[str], hashes: set[str]) -> list[Finding]:
    findings = []
    for path in files:
        if not is_credential_file(path):
            continue
        data = (ctx.root / path).read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")  # a credential file is read whatever its encoding
        name = path.rsplit("/", 1)[-1]
        findings += [
            Finding(
                f"{found.name} is set in {name}, a file for credentials: keep the file out of "
                f"git (add it to .gitignore; if it was committed, git rm --cached {path}), or "
                f"if this is no secret add its hash {found.hash} to check.secrets.allowlist",
                path,
                found.line,
                code="Credential file",
            )
            for found in credentials(path, text)
            if found.hash not in hashes
        ]
    return findings


def _by_encoding(ctx: StepContext, files: list[str]) -> tuple[list[str], list[str]]:
    """(UTF-8 text files the scanner can read, the others): a file it cannot read must be
    named as not scanned, never counted as scanned and clean."""
    readable: list[str] = []
    unreadable: list[str] = []
    for path in files:
        (readable if _is_utf8(ctx.root / path) else unreadable).append(path)
    return readable, unreadable


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 16):
                if b"\0" in chunk:
                    return False  # binary: no text scanner reads it
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, OSError):
        return False
    return True


def _names(paths: list[str], shown: int = 3) -> str:
    more = len(paths) - shown
    return ", ".join(paths[:shown]) + (f" and {more} more" if more > 0 else "")
