"""`limit`/`next_cursor` pagination over DynamoDB Queries. The cursor is the opaque,
base64url-encoded last evaluated key; a tampered cursor is a 400."""
from __future__ import annotations

import base64
import json
from typing import Any

from pydantic import AliasChoices, Field

from chalicelib import errors
from chalicelib.models import Strict


class Page(Strict):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(
        default=None, max_length=2048, validation_alias=AliasChoices("cursor", "next_cursor"),
        description="the next_cursor of the previous page",
    )


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
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise errors.BadRequest("Invalid query field 'cursor': not a cursor this API returned", details={"field": "cursor"})
    return value
