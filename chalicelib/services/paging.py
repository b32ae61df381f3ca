"""Lists: what the HTTP layer asks about a failed request that read a page."""
from __future__ import annotations

from chalicelib.core import errors
from chalicelib.repos import cursors


def refused(exc: Exception, params: dict[str, str] | None) -> errors.BadRequest | None:
    """A Query DynamoDB refused because its cursor is not one of that list's (edited, or
    taken from another list): the caller's 400, not our 500 (`repos.cursors.refused`)."""
    return cursors.refused(exc, params)
