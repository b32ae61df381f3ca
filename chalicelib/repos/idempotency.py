"""The idempotency engine: requests that carry an `Idempotency-Key` (a payout, funding an
escrow) claim the key in the same transaction as the work they do.

`USER#<id>` / `IDEM#<hash of the key>` an idempotency record: the operation, a hash of
the request, the first answer (ids and statuses only) and an expiry (the table's TTL).

The rules, for a key of one user:
- a key is claimed for (user, operation, request hash) if no record holds it, or the one
  there has expired (`SECONDS` after it was written; TTL deletes lazily, so an expired
  record may still be read for up to two days: it counts as absent);
- the same key with the same request gets the first answer back and does nothing again;
- the same key with another request is refused (`core.errors.key_reused`, 409
  `IdempotencyKeyReused`).

The record is written in the same transaction as the money it moves (`commit`), so
there is no state in which the money moved and the record is missing, or the reverse.
Powertools Idempotency writes its record in a call of its own before the work
(IN_PROGRESS) and another after (COMPLETED): three calls instead of one here, and a
crash between them leaves a record that blocks retries until it expires. Our answer is
known before the write (the new ids), so one conditional transaction does it all.
Why the engine sits in `repos/` and not in a service: README, Decisions.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.core import clock, errors
from chalicelib.repos import db
from chalicelib.repos.db import Entity
from chalicelib.repos.users import user_pk

SECONDS = 24 * 3600  # a key is remembered this long (Stripe's and most providers' window)
CONFLICT_RETRIES = 5  # a transaction cancelled by a TransactionConflict is tried again in place, this often


class IdempotencyRecord(Entity, discriminator="idempotency"):
    operation = UnicodeAttribute()
    body_hash = UnicodeAttribute()
    result = UnicodeAttribute()  # JSON of the first answer (ids and statuses only)
    created_at = NumberAttribute()


@dataclass(frozen=True)
class Claim:
    """What a keyed request claims: its key for (user, operation, request hash), with the
    answer it gives, written at `at`."""

    user_id: str
    key: str
    operation: str
    digest: str  # `request_hash(operation, body)`
    result: dict[str, Any]
    at: float


def idempotency_key(user_id: str, key: str) -> tuple[str, str]:
    return user_pk(user_id), f"IDEM#{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def request_hash(operation: str, body: dict[str, Any]) -> str:
    """A hash of what was asked: the operation and the body, canonical (key order and
    whitespace do not matter)."""
    canonical = json.dumps({"operation": operation, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def answer(record: IdempotencyRecord | None, digest: str, now: float) -> dict[str, Any] | None:
    """The rule of a stored record: the first answer if it holds the same request and has
    not expired; None if there is none (or it expired); raises `IdempotencyKeyReused` if
    it holds another request."""
    if record is None or record.expires_at is None or record.expires_at < now:
        return None
    if record.body_hash != digest:
        raise errors.key_reused()
    result: dict[str, Any] = json.loads(record.result)
    return result


def replay(user_id: str, key: str, digest: str) -> dict[str, Any] | None:
    """The first answer for this key, if the same request was made with it (one consistent
    Get); raises `IdempotencyKeyReused` if another was."""
    try:
        record = IdempotencyRecord.get(*idempotency_key(user_id, key), consistent_read=True)
    except DoesNotExist:
        record = None
    return answer(record, digest, clock.now_ts())


def _record(claim: Claim) -> IdempotencyRecord:
    pk, sk = idempotency_key(claim.user_id, claim.key)
    return IdempotencyRecord(
        pk, sk, operation=claim.operation, body_hash=claim.digest, result=json.dumps(claim.result, sort_keys=True),
        created_at=claim.at, expires_at=int(claim.at + SECONDS),
    )


def _fresh_key_condition(now: float) -> Any:
    """The record may be written if none exists, or the one there has expired."""
    return IdempotencyRecord.pk.does_not_exist() | (IdempotencyRecord.expires_at < int(now))


def commit(claim: Claim, write: Callable[[Any], None], refused: Callable[[TransactWriteError], Exception]) -> dict[str, Any] | None:
    """Run `write(tx)` in one transaction with the claim's record (retried in place on a
    `TransactionConflict`). None when it committed; the first answer when the key was used
    before for the same request; raises `IdempotencyKeyReused` for another request, else
    `refused(exc)` (a condition of the money or the state failed)."""
    record = _record(claim)

    def keyed(tx: Any) -> None:
        tx.save(record, condition=_fresh_key_condition(claim.at))
        write(tx)

    try:
        db.commit(keyed, CONFLICT_RETRIES)
        return None
    except TransactWriteError as exc:
        if db.failed_on(exc, record.pk, record.sk):
            replayed = replay(claim.user_id, claim.key, claim.digest)
            if replayed is not None:
                return replayed
        raise refused(exc) from None
