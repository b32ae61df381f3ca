"""Identity verification records: `USER#<id>` / `IDENTITY`. Submitted ones are listed
for admins on gsi2 (`IDENTITY#<status>`, oldest first). Decided ones whose documents
are still stored wait on gsi1 `IDENTITY#PURGE`, by the time they are to be deleted."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

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
    try:
        return IdentityItem.get(user_pk(user_id), "IDENTITY", consistent_read=True)
    except DoesNotExist:
        return None


def object_key(user_id: str, upload_id: str, which: str) -> str:
    return f"identity/{user_id}/{upload_id}/{which}"


def queue_keys(status: str, at: float, user_id: str) -> tuple[str, str]:
    return f"IDENTITY#{status}", f"{at:017.6f}#{user_id}"


def page(status: str, limit: int, start: dict | None) -> tuple[list[IdentityItem], dict | None]:
    result = IdentityItem.gsi2.query(f"IDENTITY#{status}", limit=limit, page_size=limit, last_evaluated_key=start)
    items = list(result)
    return items, result.last_evaluated_key


PURGE_QUEUE = "IDENTITY#PURGE"


def purge_keys(delete_after: float, user_id: str) -> tuple[str, str]:
    return PURGE_QUEUE, f"{delete_after:017.6f}#{user_id}"


def purge_due(now: float, limit: int = 100) -> list[IdentityItem]:
    """Decided verifications whose documents are due for deletion (a Query, oldest first)."""
    return list(IdentityItem.gsi1.query(PURGE_QUEUE, IdentityItem.gsi1sk <= f"{now:017.6f}#~", limit=limit, page_size=limit))
