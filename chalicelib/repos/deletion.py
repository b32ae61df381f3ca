"""Deletion requests and their receipts.

- `USER#<id>` / `DELETION`: the scheduled deletion (status, when erasure may start,
  the hash of the receipt token). Its TTL (`expires_at`) is the time erasure may start.
- `DELETION#<token hash>` / `RECEIPT`: what the user is told, reachable from the
  receipt token alone (no sign-in). It holds no personal data: no name, no contact,
  not even the user id. Its status is what a cancellation and the start of erasure
  race on: `scheduled` -> `cancelled`, or `scheduled` -> `erasing` -> `erased`/`archived`.
- `USER#<id>` / `LEGAL_HOLD#<hold_id>`: a legal hold on the account (blocks deletion).
- `ERASURE#<id>` / `PROGRESS`: the steps of an erasure done so far (`services.erasure`).
"""
from __future__ import annotations

import hashlib
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib.repos import db
from chalicelib.repos.db import Entity, maps, strings
from chalicelib.repos.users import user_pk


class DeletionRequest(Entity, discriminator="deletion"):
    user_id = UnicodeAttribute()
    status = UnicodeAttribute()  # scheduled
    requested_at = NumberAttribute()
    erase_after = NumberAttribute()
    token_hash = UnicodeAttribute()
    outcome = UnicodeAttribute()  # erase | archive (the profile's after_erasure at request time)


SCHEDULED_STATUS, ERASING = "scheduled", "erasing"


class DeletionReceipt(Entity, discriminator="deletion_receipt"):
    status = UnicodeAttribute()  # scheduled | cancelled | erasing | erased | archived
    requested_at = NumberAttribute()
    erase_after = NumberAttribute()
    completed_at = NumberAttribute(null=True)
    erased = strings(default=list)  # data categories
    kept = maps(default=list)  # [{category, reason}]
    blocked_by = maps(null=True)  # [{type, id}]: what stopped the erasure when it was due (ids only)


class LegalHold(Entity, discriminator="legal_hold"):
    hold_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    reason = UnicodeAttribute()  # the authority's reference; no personal data
    placed_by = UnicodeAttribute()
    placed_at = NumberAttribute()


class ErasureProgress(Entity, discriminator="erasure"):
    user_id = UnicodeAttribute()
    token_hash = UnicodeAttribute()
    outcome = UnicodeAttribute()  # erase | archive
    done = strings(default=list)
    touched = strings(default=list)  # kinds of items erasure reached
    started_at = NumberAttribute()
    finished_at = NumberAttribute(null=True)


SCHEDULED = "DELETIONS#scheduled"


def scheduled_index(erase_after: float, user_id: str) -> dict[str, Any]:
    """The sparse gsi2 entry of a scheduled deletion, by when erasure may start: what the
    overdue-erasure watch queries (TTL deletes lazily, so it does not wait on TTL alone)."""
    return {"gsi2pk": SCHEDULED, "gsi2sk": f"{erase_after:017.6f}#{user_id}"}


def due_before(moment: float, limit: int = 100) -> list[DeletionRequest]:
    return list(DeletionRequest.gsi2.query(SCHEDULED, DeletionRequest.gsi2sk < f"{moment:017.6f}", limit=limit))


def progress_key(user_id: str) -> tuple[str, str]:
    """Erasure's progress, apart from the user's partition (which erasure empties)."""
    return f"ERASURE#{user_id}", "PROGRESS"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_key(user_id: str) -> tuple[str, str]:
    return user_pk(user_id), "DELETION"


def receipt_key(hash_: str) -> tuple[str, str]:
    return f"DELETION#{hash_}", "RECEIPT"


def legal_holds(user_id: str) -> list[LegalHold]:
    return list(LegalHold.query(user_pk(user_id), LegalHold.sk.startswith("LEGAL_HOLD#")))


def start_erasure(progress: ErasureProgress) -> bool:
    """The start of an erasure, in one transaction: its receipt goes from `scheduled` to
    `erasing` (what a cancellation races on: one of the two wins) and its progress item
    is written. False if the deletion is no longer scheduled (cancelled, or no receipt
    with that token hash: the job is stale) or another erasure of the user started."""
    try:
        with db.transaction() as tx:
            tx.update(DeletionReceipt(*receipt_key(progress.token_hash)),
                      actions=[DeletionReceipt.status.set(ERASING), DeletionReceipt.blocked_by.remove()],
                      condition=DeletionReceipt.status == SCHEDULED_STATUS)
            tx.save(progress, condition=ErasureProgress.pk.does_not_exist())
    except TransactWriteError:
        return False
    return True


def erasure_blocked(hash_: str, blockers: list[dict[str, str]]) -> None:
    """The receipt of a scheduled deletion says what stopped its erasure (types and ids)."""
    try:
        DeletionReceipt(*receipt_key(hash_)).update(actions=[DeletionReceipt.blocked_by.set(blockers)],
                                                    condition=DeletionReceipt.status.is_in(SCHEDULED_STATUS, ERASING))
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def progress(user_id: str) -> ErasureProgress | None:
    try:
        return ErasureProgress.get(*progress_key(user_id), consistent_read=True)
    except ErasureProgress.DoesNotExist:
        return None


def receipt(hash_: str) -> DeletionReceipt | None:
    try:
        return DeletionReceipt.get(*receipt_key(hash_), consistent_read=True)
    except DeletionReceipt.DoesNotExist:
        return None
