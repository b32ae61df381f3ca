"""`next_cursor` of a list: the opaque, base64url-encoded last evaluated key of a
DynamoDB Query. A cursor that is not one of ours is a 400, and so is one DynamoDB
refuses (`refused`): edited, or taken from another list."""
from __future__ import annotations

import base64
import json
from typing import Any

from chalicelib.core import errors


def encode(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        raise errors.BadRequest("Invalid query field 'cursor': not a cursor this API returned", details={"field": "cursor"}) from None
    # every key attribute of the table and its indexes is a string (core/resources.py), so a
    # start key is names to `{"S": text}` and nothing else (DynamoDB would refuse another type)
    if not isinstance(value, dict) or not value or not all(
        isinstance(k, str) and isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str) for k, v in value.items()
    ):
        raise errors.BadRequest("Invalid query field 'cursor': not a cursor this API returned", details={"field": "cursor"})
    return value


def refused(exc: Exception, params: dict[str, str] | None) -> errors.BadRequest | None:
    """DynamoDB refuses a Query whose start key is not one of that Query's (a cursor
    edited, or taken from another list): that is the caller's 400, not our 500."""
    from pynamodb.exceptions import QueryError

    if isinstance(exc, QueryError) and exc.cause_response_code == "ValidationException" and (
        (params or {}).get("next_cursor") or (params or {}).get("cursor")
    ):
        return errors.BadRequest("Invalid query field 'cursor': not a cursor of this list", details={"field": "cursor"})
    return None
