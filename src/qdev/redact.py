"""Credentials never reach the screen, a report or a log: every URL's user:password is masked.

One function for every place that prints a URL (config show, release plans, error messages,
crash logs), so masking cannot be forgotten in one of them.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://user:password@host or scheme://token@host, anywhere in a text. The user-info runs to
# the last @ before the path: people do write passwords with an unencoded @ in them.
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s\"']+)@")


def mask_credentials(text: str) -> str:
    """`text` with the user-info part of every URL in it replaced by ***.

    A user name alone is masked too: for many indexes (`__token__`, GitLab deploy tokens) the
    name is itself a secret or tells which secret is used.
    """
    return _URL_USERINFO.sub(lambda match: f"{match.group('scheme')}{MASK}@", text)


def has_credentials(url: str) -> bool:
    """Whether `url` carries a user name or password before its host."""
    return _URL_USERINFO.search(url) is not None
