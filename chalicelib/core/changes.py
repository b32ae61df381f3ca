"""A change of the table, as the stream tells it: decoded once, for every concern.

The table's stream has one reader, `handlers.changes.route_changes`, which turns each
record into a `Change` here (boto3's TypeDeserializer: `{"S": "x"}` -> "x", numbers ->
Decimal, sets -> set) and asks each concern what it wants of the batch. Concerns read
plain Python dicts and never the stream's wire format.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

TTL_PRINCIPAL = "dynamodb.amazonaws.com"
INSERT, MODIFY, REMOVE = "INSERT", "MODIFY", "REMOVE"


@dataclass(frozen=True)
class Change:
    table: str  # the table's name, from the record's stream ARN
    keys: dict[str, Any]
    kind: str  # INSERT | MODIFY | REMOVE
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    by_ttl: bool  # removed by DynamoDB's TTL process (the service principal), not by a user or a function
    sequence: str

    @property
    def item_kind(self) -> str | None:
        """The item's `kind` attribute (the entity: bid, payout, notification, ...)."""
        return (self.new or self.old or {}).get("kind")

    def ref(self) -> dict[str, Any]:
        """Where the change is, without its contents (ids only: keys, event, position),
        for a dead letter or a log line."""
        return {"table": self.table, "keys": {k: str(v) for k, v in self.keys.items()}, "event": self.kind,
                "sequence": self.sequence, "by_ttl": self.by_ttl}


def _by_ttl(record: dict[str, Any]) -> bool:
    identity = record.get("userIdentity") or {}
    return identity.get("type") == "Service" and identity.get("principalId") == TTL_PRINCIPAL


@cache
def _deserialize() -> Any:
    from boto3.dynamodb.types import TypeDeserializer  # on first use: keeps boto3 out of the cold start

    return TypeDeserializer().deserialize  # one for the container, not one per record


def decode(record: dict[str, Any]) -> Change:
    """One stream record (Lambda's shape) as a `Change`."""
    plain = _deserialize()

    def image(raw: dict[str, Any] | None) -> dict[str, Any] | None:
        return {k: plain(v) for k, v in raw.items()} if raw else None

    body = record.get("dynamodb") or {}
    arn = record.get("eventSourceARN") or ""
    table = arn.split(":table/", 1)[1].split("/", 1)[0] if ":table/" in arn else ""
    return Change(table=table, keys=image(body.get("Keys")) or {}, kind=record.get("eventName", ""),
                  old=image(body.get("OldImage")), new=image(body.get("NewImage")), by_ttl=_by_ttl(record),
                  sequence=str(body.get("SequenceNumber", "")))


def decode_all(records: Iterable[dict[str, Any]]) -> list[Change]:
    return [decode(r) for r in records]
