"""Identity verification records: `USER#<id>` / `IDENTITY`. Submitted ones are listed
for admins on gsi2 (`IDENTITY#<status>`, oldest first). Decided ones whose documents
are still stored wait on gsi1 `IDENTITY#PURGE`, by the time they are to be deleted."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib.repos import db
from chalicelib.repos.db import Entity, time_key
from chalicelib.repos.users import UserItem, user_pk

PENDING_UPLOAD, SUBMITTED, APPROVED, REJECTED = "pending_upload", "submitted", "approved", "rejected"
UPLOADS = ("document", "selfie")


class IdentityItem(Entity, discriminator="identity"):
    user_id = UnicodeAttribute()
    status = UnicodeAttribute()
    id_type = UnicodeAttribute()
    id_number_enc = UnicodeAttribute()
    upload_id = UnicodeAttribute()
    submitted_at = NumberAttribute(null=True)
    decided_at = NumberAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    reason_enc = UnicodeAttribute(null=True)
    documents_delete_after = NumberAttribute(null=True)
    documents_purged_at = NumberAttribute(null=True)


def get(user_id: str) -> IdentityItem | None:
    """The user's verification; None where there is none or an erasure stripped it (what
    is left of it is the audit trail's, not anything to review, decide or show)."""
    try:
        item = IdentityItem.get(user_pk(user_id), "IDENTITY", consistent_read=True)
    except DoesNotExist:
        return None
    return None if stripped(item) else item


def start(user: UserItem, id_type: str, id_number_enc: str, upload_id: str) -> None:
    """A new attempt, waiting for its uploads (it replaces any earlier one), and the
    account's status saying so, in one transaction."""
    item = IdentityItem(pk=user_pk(user.user_id), sk="IDENTITY", user_id=user.user_id, status=PENDING_UPLOAD, id_type=id_type,
                        id_number_enc=id_number_enc, upload_id=upload_id)
    with db.transaction() as tx:
        tx.save(item)
        tx.update(user, actions=[UserItem.identity_status.set(PENDING_UPLOAD)])


def submit(item: IdentityItem, user: UserItem, now: float) -> None:
    """The attempt submitted for review (listed on the admins' queue), only while it is
    the same attempt still waiting for its uploads; `db.Conflict` otherwise."""
    gsi2pk, gsi2sk = queue_keys(SUBMITTED, now, user.user_id)
    try:
        with db.transaction() as tx:
            tx.update(
                item,
                actions=[IdentityItem.status.set(SUBMITTED), IdentityItem.submitted_at.set(now),
                         IdentityItem.gsi2pk.set(gsi2pk), IdentityItem.gsi2sk.set(gsi2sk)],
                condition=(IdentityItem.status == PENDING_UPLOAD) & (IdentityItem.upload_id == item.upload_id),
            )
            tx.update(user, actions=[UserItem.identity_status.set(SUBMITTED)])
    except TransactWriteError:
        raise db.Conflict("identity") from None


def decide(item: IdentityItem, status: str, admin_id: str, now: float, reason_enc: str | None, delete_after: float | None,
           *extra: Entity) -> None:
    """A submitted attempt decided (`status`), the account's status with it, and `extra`
    (the audit entry), in one transaction; with `delete_after`, its documents wait on
    the purge index until then. `db.Conflict` when it is no longer submitted."""
    gsi2pk, gsi2sk = queue_keys(status, now, item.user_id)
    actions = [
        IdentityItem.status.set(status), IdentityItem.decided_at.set(now), IdentityItem.decided_by.set(admin_id),
        IdentityItem.gsi2pk.set(gsi2pk), IdentityItem.gsi2sk.set(gsi2sk),
    ]
    if reason_enc:
        actions.append(IdentityItem.reason_enc.set(reason_enc))
    if delete_after is not None:
        purge_pk, purge_sk = purge_keys(delete_after, item.user_id)
        actions += [IdentityItem.documents_delete_after.set(delete_after), IdentityItem.gsi1pk.set(purge_pk), IdentityItem.gsi1sk.set(purge_sk)]
    try:
        with db.transaction() as tx:
            tx.update(item, actions=actions, condition=IdentityItem.status == SUBMITTED)
            tx.update(UserItem(pk=user_pk(item.user_id), sk="ACCOUNT"), actions=[UserItem.identity_status.set(status)])
            for other in extra:
                tx.save(other)
    except TransactWriteError:
        raise db.Conflict("identity") from None


def documents_purged(item: IdentityItem, now: float, *extra: Entity) -> None:
    """The attempt's documents recorded as deleted (off the purge index) and `extra` (the
    audit entry), only while it is the same attempt; `db.Conflict` when a new one replaced it."""
    try:
        with db.transaction() as tx:
            tx.update(item, actions=[IdentityItem.documents_purged_at.set(now), IdentityItem.gsi1pk.remove(), IdentityItem.gsi1sk.remove()],
                      condition=IdentityItem.upload_id == item.upload_id)
            for other in extra:
                tx.save(other)
    except TransactWriteError:
        raise db.Conflict("identity") from None


def stripped(item: IdentityItem) -> bool:
    """Erasure removed the number and the uploads: the user is gone."""
    return item.id_number_enc is None or item.upload_id is None


def unlist(user_id: str) -> None:
    """Take a verification off every queue (the admins' status lists, the document purge
    index); erasure does it, so that nothing lists what is left of it. Safe to repeat."""
    try:
        IdentityItem(user_pk(user_id), "IDENTITY").update(
            actions=[IdentityItem.gsi1pk.remove(), IdentityItem.gsi1sk.remove(), IdentityItem.gsi2pk.remove(), IdentityItem.gsi2sk.remove()],
            condition=IdentityItem.pk.exists(),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def object_key(user_id: str, upload_id: str, which: str) -> str:
    return f"identity/{user_id}/{upload_id}/{which}"


def queue_keys(status: str, at: float, user_id: str) -> tuple[str, str]:
    return f"IDENTITY#{status}", f"{time_key(at)}#{user_id}"


def page(status: str, limit: int, start: dict | None) -> tuple[list[IdentityItem], dict | None]:
    result = IdentityItem.gsi2.query(f"IDENTITY#{status}", limit=limit, page_size=limit, last_evaluated_key=start)
    items = [i for i in result if not stripped(i)]  # one an erasure stripped before it was unlisted
    return items, result.last_evaluated_key


PURGE_QUEUE = "IDENTITY#PURGE"


def purge_keys(delete_after: float, user_id: str) -> tuple[str, str]:
    return PURGE_QUEUE, f"{time_key(delete_after)}#{user_id}"


def purge_due(now: float, limit: int = 100) -> list[IdentityItem]:
    """Decided verifications whose documents are due for deletion (a Query, oldest first)."""
    return [i for i in IdentityItem.gsi1.query(PURGE_QUEUE, IdentityItem.gsi1sk <= f"{time_key(now)}#~", limit=limit, page_size=limit)
            if not stripped(i)]
