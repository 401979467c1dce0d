"""Version schemes: how the next version follows from the current one.

Every scheme writes versions that `packaging` parses, and compares them with `packaging`, so
what qdev tags is what pip and uv will order. Pre-releases use PEP 440 spelling (`1.3.0rc1`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from packaging.version import InvalidVersion, Version

from qdev.errors import UsageError

BUMPS = ("major", "minor", "patch")
PEP440_ONLY_BUMPS = ("post", "dev")
PRE_LABELS = ("a", "b", "rc")
SCHEMES = ("semver", "calver", "pep440")

_CALVER_TOKENS = ("YYYY", "YY", "0Y", "MM", "0M", "WW", "0W", "DD", "0D")


def parse(text: str, *, what: str = "version") -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise UsageError(
            f'{what} "{text}" is not a valid version',
            fix="use a PEP 440 version such as 1.2.3, 1.2.3rc1 or 2026.1.0",
        ) from None


def render(
    release: tuple[int, ...],
    *,
    epoch: int = 0,
    pre: tuple[str, int] | None = None,
    post: int | None = None,
    dev: int | None = None,
) -> str:
    text = f"{epoch}!" if epoch else ""
    text += ".".join(str(part) for part in release)
    if pre is not None:
        text += f"{pre[0]}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    return text


def _padded(version: Version) -> tuple[int, ...]:
    release = tuple(version.release)
    return release + (0,) * (3 - len(release)) if len(release) < 3 else release


def _is_prerelease_line(version: Version) -> bool:
    return version.pre is not None or (version.dev is not None and version.post is None)


def _target_release(version: Version, bump: str) -> tuple[int, ...]:
    """The release tuple `bump` aims at; a pre-release line that already aims there stays."""
    base = _padded(version)
    index = BUMPS.index(bump)
    if _is_prerelease_line(version) and all(part == 0 for part in base[index + 1 :]):
        return base
    return base[:index] + (base[index] + 1,) + (0,) * (len(base) - index - 1)


def _with_pre(
    version: Version, release: tuple[int, ...], pre: str | None
) -> tuple[str, int] | None:
    if pre is None:
        return None
    if pre not in PRE_LABELS:
        raise UsageError(f'--pre "{pre}" is not a pre-release label', fix="use a, b or rc")
    if version.pre is not None and _padded(version) == release:
        label, number = version.pre
        if label == pre:
            return (pre, number + 1)
        if PRE_LABELS.index(pre) < PRE_LABELS.index(label):
            raise UsageError(
                f"{pre} comes before {label}: {version} cannot go back to an earlier pre-release",
                fix=f"use --pre {label} or a later label, or release {render(release)}",
            )
    return (pre, 1)


def _check_semver(version: Version) -> None:
    if len(version.release) != 3 or version.epoch or version.post is not None or version.local:
        raise UsageError(
            f"{version} is not a semantic version (MAJOR.MINOR.PATCH with an optional a/b/rc)",
            fix='set the version to X.Y.Z, or set release.scheme = "pep440" in qdev.toml',
        )


def bump_standard(current: str, bump: str, pre: str | None, *, scheme: str) -> str:
    """The next version for semver or pep440 after a `major`, `minor` or `patch` bump."""
    version = parse(current, what="the current version")
    if scheme == "semver":
        _check_semver(version)
        if version.dev is not None:
            raise UsageError(
                f"{version} has a dev part, which semver does not know", fix="use pep440"
            )
    if bump in PEP440_ONLY_BUMPS:
        if scheme != "pep440":
            raise UsageError(
                f'"{bump}" releases need the pep440 scheme', fix='set release.scheme = "pep440"'
            )
        return _bump_post_or_dev(version, bump)
    release = _target_release(version, bump)
    return render(release, epoch=version.epoch, pre=_with_pre(version, release, pre))


def _bump_post_or_dev(version: Version, bump: str) -> str:
    release = tuple(version.release)
    if bump == "post":
        if version.dev is not None and version.post is None:
            raise UsageError(
                f"{version} is a development release; a post release follows a release"
            )
        return render(release, epoch=version.epoch, pre=version.pre, post=(version.post or 0) + 1)
    if version.dev is not None:
        return render(
            release, epoch=version.epoch, pre=version.pre, post=version.post, dev=version.dev + 1
        )
    if version.pre is not None:
        label, number = version.pre
        return render(release, epoch=version.epoch, pre=(label, number + 1), dev=1)
    return render(_target_release(version, "patch"), epoch=version.epoch, dev=1)


@dataclass(frozen=True)
class CalverFormat:
    """A calendar format such as `YYYY.0M.MICRO` or `YYYY.MM.DD`, split into its parts."""

    date_parts: tuple[str, ...]
    micro: bool

    @classmethod
    def parse(cls, text: str) -> CalverFormat:
        parts = tuple(text.split("."))
        micro = parts[-1] == "MICRO"
        date_parts = parts[:-1] if micro else parts
        bad = [part for part in date_parts if part not in _CALVER_TOKENS]
        if bad or not date_parts:
            raise UsageError(
                f'release.calver_format "{text}" has unknown parts: {", ".join(bad) or "none"}',
                fix=f"join {', '.join(_CALVER_TOKENS)} with dots, optionally ending in .MICRO",
            )
        return cls(date_parts, micro)

    @property
    def weekly(self) -> bool:
        return any(part in ("WW", "0W") for part in self.date_parts)

    def date_values(self, day: date) -> tuple[int, ...]:
        return tuple(_token_value(part, day, weekly=self.weekly) for part in self.date_parts)

    def date_text(self, day: date) -> str:
        return ".".join(
            f"{value:02d}" if part.startswith("0") else str(value)
            for part, value in zip(self.date_parts, self.date_values(day), strict=True)
        )


def _token_value(token: str, day: date, *, weekly: bool) -> int:
    # With a week number the year must be the ISO year: 2083-01-03 is in week 53 of 2082, and
    # "2083.53" would sort after every later week of 2083.
    year = day.isocalendar().year if weekly else day.year
    if token == "YYYY":
        return year
    if token in ("YY", "0Y"):
        return year % 100
    if token in ("MM", "0M"):
        return day.month
    if token in ("WW", "0W"):
        return day.isocalendar().week
    return day.day


def bump_calver(current: str, fmt: str, pre: str | None, *, today: date) -> str:
    """The next calendar version: today's date, or the next number on the same day."""
    calver = CalverFormat.parse(fmt)
    version = parse(current, what="the current version")
    width = len(calver.date_parts)
    released = tuple(version.release[:width])
    today_values = calver.date_values(today)
    head = calver.date_text(today)
    if released == today_values:
        counter = version.release[width] if len(version.release) > width else None
        if _is_prerelease_line(version):
            release = tuple(version.release)  # finish (or continue) today's pre-release line
            text = head + "".join(f".{part}" for part in release[width:])
        else:
            nxt = counter + 1 if counter is not None else 1
            release = (*today_values, nxt)
            text = f"{head}.{nxt}"
    elif released > today_values and len(released) == width:
        raise UsageError(
            f"the current version {current} is dated after today ({head})",
            fix="check the system clock, or name the version explicitly",
        )
    else:
        release = (*today_values, 0) if calver.micro else today_values
        text = f"{head}.0" if calver.micro else head
    pre_part = _with_pre(version, _padded(Version(render(release))), pre)
    if pre_part is not None:
        text += f"{pre_part[0]}{pre_part[1]}"
    return text


def next_version(
    scheme: str,
    current: str,
    bump: str,
    *,
    pre: str | None = None,
    calver_format: str = "YYYY.0M.MICRO",
    today: date | None = None,
) -> str:
    """The version after `current` for a bump: major, minor, patch; post and dev in pep440."""
    if scheme == "calver":
        return bump_calver(current, calver_format, pre, today=today or date.today())
    if bump not in BUMPS + PEP440_ONLY_BUMPS:
        raise UsageError(
            f'"{bump}" is not a bump', fix="use major, minor, patch, auto or a version"
        )
    return bump_standard(current, bump, pre, scheme=scheme)


def explicit_version(text: str, scheme: str) -> str:
    """A version named on the command line, checked against the scheme."""
    version = parse(text.removeprefix("v"), what="the requested version")
    if scheme == "semver":
        _check_semver(version)
    return text.removeprefix("v") if scheme == "calver" else str(version)


def looks_like_version(text: str) -> bool:
    return bool(re.match(r"^v?\d", text))
