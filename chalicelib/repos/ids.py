"""Identifiers: time-ordered (so a partition's items sort by creation) and unguessable."""
from __future__ import annotations

import secrets

from chalicelib.core import clock


def new_id() -> str:
    """12 hex digits of milliseconds, then 12 random ones: sorts by creation time."""
    return f"{int(clock.now_ts() * 1000):012x}{secrets.token_hex(6)}"
