"""A change of the table, as the stream tells it: decoded once, for every concern.

The table's stream has one reader, `handlers.changes.route_changes`, which turns each
record into a `Change` here (boto3's TypeDeserializer: `{"S": "x"}` -> "x", numbers ->
Decimal, sets -> set) and asks each concern what it wants of the batch. Concerns read
plain Python dicts and never the stream's wire format.

Binary attributes (`B`, `BS`) come from the stream base64-encoded (it is JSON): they are
decoded to bytes first. A record that still fails to decode (a malformed image) is set
aside as its position only (`position`: event id, sequence number and a hash of its
keys, never its contents) and the rest of the batch decodes (`decode_batch`): the router
then sends that position to every concern's DLQ, and nobody's work waits on it.
"""
from __future__ import annotations

import base64
import hashlib
import json
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


def _unwire(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute value as the stream's JSON gives it, with binaries (base64 there) as
    the bytes the TypeDeserializer expects, in maps and lists too."""
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner, validate=True) if isinstance(inner, str) else inner}
    if kind == "BS":
        return {"BS": [base64.b64decode(v, validate=True) if isinstance(v, str) else v for v in inner]}
    if kind == "M":
        return {"M": {k: _unwire(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_unwire(v) for v in inner]}
    return value


def decode(record: dict[str, Any]) -> Change:
    """One stream record (Lambda's shape) as a `Change`; raises if it is malformed."""
    plain = _deserialize()

    def image(raw: dict[str, Any] | None) -> dict[str, Any] | None:
        return {k: plain(_unwire(v)) for k, v in raw.items()} if raw else None

    body = record.get("dynamodb") or {}
    arn = record.get("eventSourceARN") or ""
    table = arn.split(":table/", 1)[1].split("/", 1)[0] if ":table/" in arn else ""
    return Change(table=table, keys=image(body.get("Keys")) or {}, kind=record.get("eventName", ""),
                  old=image(body.get("OldImage")), new=image(body.get("NewImage")), by_ttl=_by_ttl(record),
                  sequence=str(body.get("SequenceNumber", "")))


def decode_all(records: Iterable[dict[str, Any]]) -> list[Change]:
    return [decode(r) for r in records]


def position(record: Any) -> dict[str, Any]:
    """Where a record is in the stream, without anything of the item: its event id, its
    sequence number and a SHA-256 of its raw keys (ids, hashed: an operator holding a
    candidate key can match it; the stream gives the record itself for 24 hours)."""
    body = record.get("dynamodb") if isinstance(record, dict) else None
    body = body if isinstance(body, dict) else {}
    keys = body.get("Keys")
    try:
        keys_hash = hashlib.sha256(json.dumps(keys, sort_keys=True, default=str).encode()).hexdigest() if keys else None
    except (TypeError, ValueError):
        keys_hash = None
    return {"event_id": str(record.get("eventID", "")) if isinstance(record, dict) else "",
            "sequence": str(body.get("SequenceNumber", "")), "keys_hash": keys_hash, "undecodable": True}


def decode_batch(records: Iterable[Any]) -> tuple[list[Change], list[dict[str, Any]]]:
    """Each record decoded on its own: the changes, and the positions of the records that
    failed to decode (which the rest of the batch does not wait on)."""
    changes: list[Change] = []
    failed: list[dict[str, Any]] = []
    for record in records:
        try:
            changes.append(decode(record))
        except Exception:  # a malformed record: its position only, never its contents
            failed.append(position(record))
    return changes, failed
