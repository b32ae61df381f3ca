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
from pynamodb.expressions.update import Action

from chalicelib.repos import db, users
from chalicelib.repos.db import Entity, maps, strings, time_key
from chalicelib.repos.ledger import Payout
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
    return {"gsi2pk": SCHEDULED, "gsi2sk": f"{time_key(erase_after)}#{user_id}"}


def due_before(moment: float, limit: int = 100) -> list[DeletionRequest]:
    return list(DeletionRequest.gsi2.query(SCHEDULED, DeletionRequest.gsi2sk < f"{time_key(moment)}", limit=limit))


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


ACCOUNT_CHANGED = "account"  # `schedule`'s Conflict: the account changed since it was read


def schedule(account: users.UserItem, hashed: str, now: float, erase_after: float, outcome: str) -> None:
    """The deletion request, its receipt and the account's flag, in one transaction.
    `db.Conflict("account")` (`ACCOUNT_CHANGED`) when a contract was entered since
    `account` was read (consistently, before the blockers were looked for), any other
    `db.Conflict` when a deletion is scheduled already."""
    user_id = account.user_id
    scheduled = DeletionRequest(
        *request_key(user_id), user_id=user_id, status="scheduled", requested_at=now, erase_after=erase_after,
        token_hash=hashed, outcome=outcome, expires_at=int(erase_after), **scheduled_index(erase_after, user_id),
    )
    receipt = DeletionReceipt(*receipt_key(hashed), status="scheduled", requested_at=now, erase_after=erase_after)
    try:
        with db.transaction() as tx:
            tx.save(scheduled, condition=DeletionRequest.pk.does_not_exist())
            tx.save(receipt, condition=DeletionReceipt.pk.does_not_exist())
            users.schedule_deletion(tx, account, hashed)
    except TransactWriteError as exc:
        if db.failed_on(exc, *users.account_key(user_id)) and not db.failed_on(exc, *request_key(user_id)):
            raise db.Conflict(ACCOUNT_CHANGED) from None
        raise db.Conflict("deletion") from None


def cancel(user_id: str, token_hash: str, scheduled: DeletionRequest | None, now: float) -> None:
    """The receipt cancelled (only while still `scheduled`, which is what the start of
    erasure moves it from: one of the two wins), the account free to deal again and the
    request, if still there, deleted, in one transaction; `db.Conflict` otherwise."""
    try:
        with db.transaction() as tx:
            tx.update(DeletionReceipt(*receipt_key(token_hash)),
                      actions=[DeletionReceipt.status.set("cancelled"), DeletionReceipt.completed_at.set(now)],
                      condition=DeletionReceipt.status == "scheduled")
            users.unschedule_deletion(tx, user_id, token_hash)
            if scheduled is not None:
                tx.delete(scheduled, condition=DeletionRequest.status == "scheduled")
    except TransactWriteError:
        raise db.Conflict("deletion") from None


def pending_payouts(user_id: str) -> list[Payout]:
    """The user's payouts not yet paid (a Query of their partition): each blocks deletion."""
    return list(Payout.query(user_pk(user_id), Payout.sk.startswith("PAYOUT#"), filter_condition=Payout.status == "pending"))


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


def step_done(progress: ErasureProgress, step: str, touched: set[str] | None = None) -> None:
    """One step of an erasure done (and the kinds of items it reached, `touched`); the
    item read is changed to match."""
    actions: list[Action] = [ErasureProgress.done.set(ErasureProgress.done.append([step]))]
    if touched:
        actions.append(ErasureProgress.touched.set(sorted(set(progress.touched or []) | touched)))
        progress.touched = sorted(set(progress.touched or []) | touched)
    progress.update(actions=actions)
    progress.done = [*(progress.done or []), step]


def erasure_finished(progress: ErasureProgress, now: float) -> None:
    progress.update(actions=[ErasureProgress.finished_at.set(now)])


def complete_receipt(hash_: str, status: str, erased: list[str], kept: list[dict[str, str]], now: float) -> bool:
    """The receipt says what the erasure erased and kept; False if there is no receipt."""
    try:
        DeletionReceipt(*receipt_key(hash_)).update(actions=[
            DeletionReceipt.status.set(status), DeletionReceipt.erased.set(erased),
            DeletionReceipt.kept.set(kept), DeletionReceipt.completed_at.set(now),
        ], condition=DeletionReceipt.pk.exists())
    except UpdateError as exc:
        if not db.condition_failed(exc):
            raise
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
