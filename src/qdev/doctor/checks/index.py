"""The package indexes uv installs from: reachable, and credentials found where uv looks.

The indexes are the repo's `env.indexes` and the profile's `qdev_index` (where CI installs
qdev). Credentials are looked for where uv finds them: the URL itself, UV_INDEX_<NAME>_USERNAME
and _PASSWORD, ~/.netrc (or $NETRC), or a keyring when UV_KEYRING_PROVIDER=subprocess. They are
used to probe the index and never printed: every URL shown is masked.
"""

from __future__ import annotations

import base64
import netrc
import os
import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from qdev.doctor.context import DoctorContext
from qdev.doctor.model import Diagnosis, Verdict, ok, problem, register
from qdev.redact import mask_credentials

TIMEOUT = 3.0


@dataclass(frozen=True)
class PackageIndex:
    name: str
    url: str
    where: str
    """The setting that names it, e.g. env.indexes.internal (qdev.toml:12:1)."""


@dataclass(frozen=True)
class Login:
    user: str
    password: str
    where: str


@dataclass(frozen=True)
class Probe:
    fine: bool
    what: str
    fix: str = ""


def env_prefix(name: str) -> str:
    """uv's variable prefix for an index's credentials: UV_INDEX_<NAME>_."""
    return "UV_INDEX_" + re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_"


def configured_indexes(ctx: DoctorContext) -> list[PackageIndex]:
    from qdev.ci.install import INDEX_NAME, INDEX_VAR

    found = []
    if ctx.loaded is not None:
        for name, url in ctx.loaded.config.env.indexes.items():
            source = ctx.loaded.source_of(f"env.indexes.{name}")
            found.append(PackageIndex(name, url, f"env.indexes.{name} ({source})"))
    profile_url = ctx.profile.variables.get(INDEX_VAR, "").strip() if ctx.profile else ""
    if profile_url:
        found.append(PackageIndex(INDEX_NAME, profile_url, f"{INDEX_VAR} in the team profile"))
    return found


def login_for(index: PackageIndex) -> Login | None:
    parts = urlsplit(index.url)
    if parts.username or parts.password:
        return Login(unquote(parts.username or ""), unquote(parts.password or ""), "the URL")
    prefix = env_prefix(index.name)
    user, password = os.environ.get(prefix + "USERNAME"), os.environ.get(prefix + "PASSWORD")
    if user or password:
        return Login(user or "", password or "", f"{prefix}USERNAME/{prefix}PASSWORD")
    netrc_file = Path(os.environ.get("NETRC") or Path.home() / ".netrc")
    try:
        entry = netrc.netrc(str(netrc_file)).authenticators(parts.hostname or "")
    except (OSError, netrc.NetrcParseError):
        entry = None
    if entry is not None:
        return Login(entry[0], entry[2] or "", str(netrc_file))
    return None


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def _get(url: str, login: Login | None) -> int | str:
    """The HTTP status of a GET of `url`, or why it could not be reached."""
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    if login is not None:
        token = base64.b64encode(f"{login.user}:{login.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason)


def probe(index: PackageIndex) -> Probe:
    shown = f"{index.name} ({mask_credentials(index.url)})"
    check_url = f"check {index.where} and your network (VPN, proxy)"
    if urlsplit(index.url).scheme == "file":
        folder = Path(unquote(urlsplit(index.url).path))
        if folder.exists():
            return Probe(True, f"{shown}: the folder exists")
        return Probe(False, f"{shown}: {folder} does not exist", f"check {index.where}")
    url = _without_userinfo(index.url)
    status = _get(url, None)
    if isinstance(status, str):
        return Probe(False, f"{shown} cannot be reached: {status}", check_url)
    if status in (401, 403):
        return _with_login(index, shown, url)
    if status >= 400:
        return Probe(False, f"{shown} answers HTTP {status}", check_url)
    return Probe(True, f"{shown}: reachable, no login needed")


def _with_login(index: PackageIndex, shown: str, url: str) -> Probe:
    login = login_for(index)
    prefix = env_prefix(index.name)
    set_login = (
        f"export {prefix}USERNAME=... {prefix}PASSWORD=...   "
        "(or a keyring: UV_KEYRING_PROVIDER=subprocess)"
    )
    if login is None:
        if os.environ.get("UV_KEYRING_PROVIDER") == "subprocess":
            return Probe(True, f"{shown}: needs a login, which uv asks the keyring for")
        return Probe(False, f"{shown} needs a login and no credentials were found", set_login)
    status = _get(url, login)
    if isinstance(status, int) and status < 400:
        return Probe(True, f"{shown}: reachable, login from {login.where}")
    answer = f"HTTP {status}" if isinstance(status, int) else status
    return Probe(False, f"{shown} refuses the credentials from {login.where} ({answer})", set_login)


@register
class Index(Diagnosis):
    id = "index"
    rank = 55
    title = "package indexes reachable, credentials found"
    why = (
        "uv installs the repo's dependencies from env.indexes, and CI installs qdev from the "
        "profile's qdev_index; one that cannot be reached or refuses the login fails "
        "qdev env and every CI run."
    )

    def diagnose(self, ctx: DoctorContext) -> Verdict:
        indexes = configured_indexes(ctx)
        if not indexes:
            return ok("no private index configured (env.indexes, qdev_index): uv uses PyPI")
        with ThreadPoolExecutor(max_workers=len(indexes)) as pool:
            probes = list(pool.map(probe, indexes))
        failed = [p for p in probes if not p.fine]
        if failed:
            return problem(
                "; ".join(p.what for p in failed), "; ".join(dict.fromkeys(p.fix for p in failed))
            )
        return ok("; ".join(p.what for p in probes))
