"""What the stream handlers share."""
from __future__ import annotations

from typing import Any

TTL_PRINCIPAL = "dynamodb.amazonaws.com"


def by_ttl(record: Any) -> bool:
    """Whether DynamoDB's TTL process removed the item (the record's userIdentity is the
    DynamoDB service principal), rather than a user or a function."""
    identity = record.to_dict().get("userIdentity") or {}
    return identity.get("type") == "Service" and identity.get("principalId") == TTL_PRINCIPAL
