"""Team profiles: where they come from, how their templates render, what a repo recorded."""

from __future__ import annotations
