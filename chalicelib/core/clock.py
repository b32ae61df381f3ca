"""The one clock every handler, job, token check and TTL check reads.

In deployed stages it is the system clock. In the local stage it is a test clock:
the system clock plus an offset that only moves forward (`POST /_dev/clock`), shared
by everything in the local cloud process (moto's Cognito included).
"""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

_lock = threading.Lock()
_offset = 0.0


def now_ts() -> float:
    """Seconds since the epoch, as a float."""
    return time.time() + _offset


def now() -> datetime:
    return datetime.fromtimestamp(now_ts(), UTC)


def iso(moment: datetime | float | None = None) -> str:
    """ISO 8601 in UTC with a trailing Z, as the API promises."""
    if moment is None:
        moment = now()
    if isinstance(moment, (int, float)):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def offset() -> float:
    return _offset


def advance(seconds: float) -> float:
    """Move the test clock forward; it never goes back. Returns the new offset."""
    global _offset
    if seconds < 0:
        raise ValueError("the clock never goes back")
    with _lock:
        _offset += seconds
        return _offset


def set_offset(value: float) -> None:
    """Adopt another process's offset (the invoke command follows the local stack)."""
    global _offset
    with _lock:
        if value < _offset:
            raise ValueError("the clock never goes back")
        _offset = value
