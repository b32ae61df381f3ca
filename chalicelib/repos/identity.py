"""Identity verification records: `USER#<id>` / `IDENTITY`. Submitted ones are listed
for admins on gsi2 (`IDENTITY#<status>`, oldest first). Decided ones whose documents
are still stored wait on gsi1 `IDENTITY#PURGE`, by the time they are to be deleted."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.repos.db import Entity
from chalicelib.repos.users import user_pk

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
    return f"IDENTITY#{status}", f"{at:017.6f}#{user_id}"


def page(status: str, limit: int, start: dict | None) -> tuple[list[IdentityItem], dict | None]:
    result = IdentityItem.gsi2.query(f"IDENTITY#{status}", limit=limit, page_size=limit, last_evaluated_key=start)
    items = [i for i in result if not stripped(i)]  # one an erasure stripped before it was unlisted
    return items, result.last_evaluated_key


PURGE_QUEUE = "IDENTITY#PURGE"


def purge_keys(delete_after: float, user_id: str) -> tuple[str, str]:
    return PURGE_QUEUE, f"{delete_after:017.6f}#{user_id}"


def purge_due(now: float, limit: int = 100) -> list[IdentityItem]:
    """Decided verifications whose documents are due for deletion (a Query, oldest first)."""
    return [i for i in IdentityItem.gsi1.query(PURGE_QUEUE, IdentityItem.gsi1sk <= f"{now:017.6f}#~", limit=limit, page_size=limit)
            if not stripped(i)]
