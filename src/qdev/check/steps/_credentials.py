"""Credential files: files that exist to hold secrets (`.env`, `.netrc`, `.pgpass`, `.pypirc`,
...), known by their name, and the values set in them.

A general scanner looks for values that look random or match a known key format, so a short
password in a committed `.env` (`DB_PASS=abc`) passes it. In a file whose name says it holds
credentials, any value given to a credential-like name is one, however short; elsewhere a
`KEY=value` is just code and is left to the general scanner.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

# Files named for holding credentials, by their name (any folder).
CREDENTIAL_NAMES = frozenset(
    {
        ".env", ".envrc", ".netrc", "_netrc", ".pgpass", ".pypirc", ".npmrc", ".git-credentials",
        ".htpasswd", ".my.cnf", ".s3cfg", ".boto", ".dockercfg", "secrets.env", "secrets.toml",
        "secrets.yaml", "secrets.yml", "secrets.json", "credentials.json",
    }
)  # fmt: skip
# `.env.local`, `.env.production`, `prod.env`, `prod.tfvars`, `.aws/credentials`, ...
CREDENTIAL_PATTERN = re.compile(
    r"(?:^|/)(?:\.env\.[^/]+|[^/]+\.env|[^/]+\.tfvars|\.aws/credentials|\.docker/config\.json)$"
)
# Files where every entry is a credential: `host:port:db:user:password`, `user:hash`, URLs.
EVERY_LINE = frozenset({".pgpass", ".htpasswd", ".git-credentials"})
NETRC = frozenset({".netrc", "_netrc"})  # `machine host login me password secret`

# `KEY=value`, `export KEY="value"`, `key = value`, `//host/:_authToken=value`; else YAML's
# `key: value` or JSON's `"key": "value",`.
ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?(?P<key>[^\s=#;\[][^=]*?)\s*=\s*(?P<value>.*)$")
YAML_ENTRY = re.compile(r"^\s*[\"']?(?P<key>[\w.-]+)[\"']?\s*:\s+(?P<value>.*?),?$")
SECRET_NAME = re.compile(
    r"pass|pwd|secret|token|auth|credential|private|api[_-]?key|access[_-]?key|(?:^|[_.-])key$"
    r"|signature|session|cookie|dsn|salt",
    re.IGNORECASE,
)
URL_CREDENTIALS = re.compile(r"://[^/\s:@]+:(?P<secret>[^/\s@]+)@")
NETRC_PASSWORD = re.compile(r"\b(?:password|passwd|account)\s+(?P<secret>\S+)")
# Values that only stand in for a secret: references, templates, masks, placeholders.
PLACEHOLDER = re.compile(
    r"^(?:\$\{?\w+\}?|<[^>]*>|\{\{.*\}\}|%\(?\w+\)?s?|[*xX.\-_]*|\.\.\.|"
    r"change[-_ ]?me|replace[-_ ]?me|placeholder|example|your[-_ ].*|none|null|todo)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Credential:
    line: int
    name: str
    value: str

    @property
    def hash(self) -> str:
        """The same hash detect-secrets gives a secret, so one allowlist serves both."""
        return hashlib.sha1(self.value.encode("utf-8")).hexdigest()


def is_credential_file(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in CREDENTIAL_NAMES or bool(CREDENTIAL_PATTERN.search(path))


def credentials(path: str, text: str) -> list[Credential]:
    """Every secret set in the credential file at `path` whose content is `text`."""
    name = path.rsplit("/", 1)[-1]
    every_line, netrc = name in EVERY_LINE, name in NETRC
    found: list[Credential] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("#", ";")):
            continue
        for key, value in _secrets_in(line, every_line=every_line, netrc=netrc):
            value = _unquoted(value)
            if value and not PLACEHOLDER.match(value):
                found.append(Credential(number, key, value))
                break
    return found


def _secrets_in(line: str, *, every_line: bool, netrc: bool) -> Iterator[tuple[str, str]]:
    if url := URL_CREDENTIALS.search(line):
        yield "a URL's password", url["secret"]
    if netrc and (entry := NETRC_PASSWORD.search(line)):
        yield "password", entry["secret"]
    if every_line and line.strip():
        yield "an entry", line.strip().rsplit(":", 1)[-1]
    assignment = YAML_ENTRY.match(line) or ASSIGNMENT.match(line)
    if assignment and SECRET_NAME.search(assignment["key"]):
        yield assignment["key"], assignment["value"]


def _unquoted(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return re.sub(r"\s+#.*$", "", value)  # an unquoted value ends at a comment
