"""Public profiles in the owner's partition: `USER#<id>` / `PROFILE` (published) and
`USER#<id>` / `PROFILE#DRAFT` (an edit waiting for review, listed for admins on gsi2
`PROFILE_REVIEW`, oldest first). Profile text is sealed with the owner's data key; the
visibility map (field -> level) is not personal and stays in clear."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from chalicelib.repos import db
from chalicelib.repos.db import Entity, plain_map, time_key
from chalicelib.repos.users import user_pk

PUBLISHED, PENDING_REVIEW = "published", "pending_review"
REVIEW_QUEUE = "PROFILE_REVIEW"


class ProfileItem(Entity, discriminator="profile"):
    user_id = UnicodeAttribute()
    data_enc = UnicodeAttribute()  # sealed JSON of the profile fields
    visibility = plain_map(default=dict)
    published_at = NumberAttribute()


class ProfileDraft(Entity, discriminator="profile_draft"):
    user_id = UnicodeAttribute()
    data_enc = UnicodeAttribute()
    visibility = plain_map(default=dict)
    submitted_at = NumberAttribute()


def key(user_id: str) -> tuple[str, str]:
    return user_pk(user_id), "PROFILE"


def draft_key(user_id: str) -> tuple[str, str]:
    return user_pk(user_id), "PROFILE#DRAFT"


def published(user_id: str, data_enc: str, visibility: dict[str, str], at: float) -> ProfileItem:
    return ProfileItem(*key(user_id), user_id=user_id, data_enc=data_enc, visibility=visibility, published_at=at)


def draft(user_id: str, data_enc: str, visibility: dict[str, str], at: float) -> ProfileDraft:
    return ProfileDraft(
        *draft_key(user_id), user_id=user_id, data_enc=data_enc, visibility=visibility, submitted_at=at,
        gsi2pk=REVIEW_QUEUE, gsi2sk=f"{time_key(at)}#{user_id}",
    )


def get_draft(user_id: str) -> ProfileDraft | None:
    try:
        return ProfileDraft.get(*draft_key(user_id), consistent_read=True)
    except ProfileDraft.DoesNotExist:
        return None


def decide_draft(draft: ProfileDraft, approved: bool, now: float, *extra: Entity) -> None:
    """A waiting edit taken off the queue (only the one read: not one submitted since),
    published if `approved`, with `extra` (its audit entry, the owner's email), in one
    transaction; `db.Conflict` when it changed or was decided meanwhile."""
    try:
        with db.transaction() as tx:
            tx.delete(draft, condition=ProfileDraft.submitted_at == draft.submitted_at)
            if approved:
                tx.save(published(draft.user_id, draft.data_enc, draft.visibility.as_dict(), now))
            for item in extra:
                tx.save(item)
    except TransactWriteError:
        raise db.Conflict("draft") from None


def review_page(limit: int, start: dict | None) -> tuple[list[ProfileDraft], dict | None]:
    result = ProfileDraft.gsi2.query(REVIEW_QUEUE, limit=limit, page_size=limit, last_evaluated_key=start)
    items = list(result)
    return items, result.last_evaluated_key
