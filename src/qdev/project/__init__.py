"""A repository on the team's standard: creating or adopting one (`qdev init`)."""

from __future__ import annotations
